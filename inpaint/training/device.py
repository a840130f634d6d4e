"""Device, CPU threads and mixed precision for training.

CUDA when available (autocast + GradScaler), else the CPU with a fixed thread
count. The CPU path never calls a CUDA API: ``device="cpu"`` does not even ask
whether CUDA is there, and the AMP helpers are no-ops when AMP is off.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from typing import Any

import torch

from inpaint.errors import InpaintError
from inpaint.training.distributed import World, average_gradients, rank_seed

DEVICES = ("auto", "cpu", "cuda")
AMP_MODES = ("auto", "off", "fp16", "bf16")


def resolve_device(name: str) -> torch.device:
    """Map the config's ``device`` (auto | cpu | cuda | cuda:N) to a torch device."""
    if name == "cpu":
        return torch.device("cpu")
    if name not in DEVICES and not re.fullmatch(r"cuda:\d+", name):
        raise InpaintError(f"device {name!r} is not one of auto, cpu, cuda (or cuda:N)")
    available = torch.cuda.is_available()
    if name == "auto":
        return torch.device("cuda" if available else "cpu")
    if not available:
        raise InpaintError(
            f"device {name!r} was requested but CUDA is not available here "
            f"(torch {torch.__version__}, CUDA build {torch.version.cuda or 'none'}); "
            "set device: auto or cpu"
        )
    device = torch.device(name)
    if device.index is not None and device.index >= torch.cuda.device_count():
        raise InpaintError(
            f"device {name!r} does not exist: {torch.cuda.device_count()} CUDA device(s) visible"
        )
    return device


def configure_threads(threads: int) -> None:
    """Use ``threads`` CPU threads (the Snakemake rule's ``threads:``) for torch and OpenMP."""
    if int(threads) < 1:
        raise InpaintError(f"threads must be at least 1, got {threads!r}")
    os.environ["OMP_NUM_THREADS"] = str(int(threads))
    torch.set_num_threads(int(threads))


@dataclass(frozen=True)
class AmpPolicy:
    """Whether to autocast, to which dtype, and whether losses need scaling (fp16)."""

    enabled: bool = False
    dtype: torch.dtype | None = None
    scale_loss: bool = False

    @property
    def name(self) -> str:
        if not self.enabled:
            return "off"
        return "bf16" if self.dtype == torch.bfloat16 else "fp16"


def choose_amp(device: torch.device, mode: str = "auto",
               bf16_supported: bool | None = None) -> AmpPolicy:
    """Decide mixed precision from the device and the ``amp`` setting.

    AMP runs on CUDA only; on the CPU every mode means off. ``auto`` is fp16 with
    loss scaling (the classic recipe; its 11-bit mantissa keeps image outputs
    finer than 8-bit), ``bf16`` needs hardware support and no scaling.
    """
    if mode not in AMP_MODES:
        raise InpaintError(f"amp {mode!r} is not one of {', '.join(AMP_MODES)}")
    if mode == "off" or device.type != "cuda":
        return AmpPolicy()
    if mode == "bf16":
        if bf16_supported is None:
            bf16_supported = torch.cuda.is_bf16_supported()
        if not bf16_supported:
            raise InpaintError(f"amp 'bf16' was requested but {device} does not support bfloat16")
        return AmpPolicy(True, torch.bfloat16, False)
    return AmpPolicy(True, torch.float16, True)


class Scaler:
    """GradScaler wrapper: loss scaling when enabled, plain backward/step when not.

    Systems call ``backward(loss)`` and ``step(optimizer)`` (one scaler serves
    several optimisers); the engine calls ``update()`` once per training step.
    """

    def __init__(self, enabled: bool, device_type: str = "cuda", world_size: int = 1) -> None:
        self._scaler = torch.amp.GradScaler(device_type) if enabled else None
        self._stepped = False
        self.world_size = int(world_size)

    @property
    def enabled(self) -> bool:
        return self._scaler is not None

    def backward(self, loss: torch.Tensor, retain_graph: bool = False) -> None:
        scaled = self._scaler.scale(loss) if self._scaler is not None else loss
        scaled.backward(retain_graph=retain_graph)

    def unscale(self, optimizer: torch.optim.Optimizer) -> None:
        """Unscale gradients in place (before gradient clipping)."""
        if self._scaler is not None:
            self._scaler.unscale_(optimizer)

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        """Step ``optimizer``; in a data-parallel run its gradients are first averaged over
        the ranks (inpaint.training.distributed), so every rank takes the same step."""
        if self.world_size > 1:
            average_gradients((p for group in optimizer.param_groups for p in group["params"]),
                              self.world_size)
        if self._scaler is None:
            optimizer.step()
        else:
            self._scaler.step(optimizer)
            self._stepped = True

    def update(self) -> None:
        if self._scaler is not None and self._stepped:
            self._scaler.update()
            self._stepped = False

    def state_dict(self) -> dict[str, Any]:
        return self._scaler.state_dict() if self._scaler is not None else {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self._scaler is not None and state:
            self._scaler.load_state_dict(state)


def choose_memory_format(device: torch.device, amp: AmpPolicy) -> torch.memory_format:
    """channels_last where it helps: convolutions on CUDA under autocast (tensor cores).

    On the CPU it gains little for these networks (notes/cpu-torch.md) and is
    left off, so the CPU path is unchanged.
    """
    if device.type == "cuda" and amp.enabled:
        return torch.channels_last
    return torch.contiguous_format


def use_pinned_memory(device: torch.device) -> bool:
    """Page-locked host batches (faster, asynchronous copies) only when copying to CUDA."""
    return device.type == "cuda"


@dataclass
class Runtime:
    """Where and how a training run computes; handed to the system's constructor."""

    device: torch.device
    threads: int
    seed: int
    amp: AmpPolicy
    scaler: Scaler
    memory_format: torch.memory_format = torch.contiguous_format
    rank: int = 0
    world_size: int = 1

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"

    def autocast(self) -> contextlib.AbstractContextManager:
        """Autocast context for forward passes (a no-op context when AMP is off)."""
        if not self.amp.enabled:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp.dtype)


def make_runtime(device: str = "auto", threads: int = 1, amp: str = "auto",
                 seed: int = 0, fixed_shapes: bool = True, world=None) -> Runtime:
    """Resolve the device, set the thread count and pick the AMP policy.

    ``fixed_shapes``: every batch has the same shape (training), so cuDNN may
    benchmark its algorithms once; leave it False for variable shapes.
    ``world`` (inpaint.training.distributed.World): in a data-parallel run each
    rank computes on CUDA device LOCAL_RANK and draws from its own seed (rank 0
    keeps ``seed``), and the scaler averages gradients over the ranks.
    """
    world = world or World()
    torch_device = resolve_device(device)
    if world.distributed and torch_device.type == "cuda":
        torch_device = torch.device("cuda", world.local_rank)
    configure_threads(threads)
    policy = choose_amp(torch_device, amp)
    if torch_device.type == "cuda":
        torch.backends.cudnn.benchmark = bool(fixed_shapes)
    return Runtime(torch_device, int(threads), rank_seed(int(seed), world), policy,
                   Scaler(policy.scale_loss, torch_device.type, world.world_size),
                   choose_memory_format(torch_device, policy), world.rank, world.world_size)
