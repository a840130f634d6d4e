"""Single-node data-parallel training: one process per GPU, started by torchrun.

The train rule runs ``python -m torch.distributed.run --standalone --nproc_per_node N
-m inpaint train ...`` when a method's block asks for ``gpus: N`` with N > 1
(inpaint.config.launch_prefix); torchrun sets RANK / WORLD_SIZE / LOCAL_RANK and
``inpaint train`` joins the process group (:func:`process_group`: NCCL on CUDA,
gloo on the CPU). The engine then:

* keeps the meaning of every setting: ``batch_size`` is the global batch, each
  rank takes its ``batch_size / world_size`` slice of the batch a single
  process would draw (inpaint.training.sampler), gradients are averaged over the
  ranks before every optimiser step (:func:`average_gradients`, called by the
  Scaler) and the logged losses are the ranks' mean (:func:`average_losses`);
* builds the networks from the same seed on every rank and broadcasts rank 0's
  weights and buffers (:func:`broadcast_modules`), as DistributedDataParallel
  does; rank 0 keeps the run's seed, the other ranks draw their masks and noise
  from seeds derived from (seed, rank) (:func:`rank_seed`);
* lets rank 0 alone write checkpoints, the log, sample grids and model.json.

Gradients are all-reduced at the optimiser step rather than by wrapping the
networks in ``torch.nn.parallel.DistributedDataParallel``: the GAN systems run a
discriminator several times per step, for two optimisers, and call their
networks' own methods and attributes, which a DDP wrapper hides; averaging the
gradients of exactly the parameters an optimiser is about to step gives the same
update with none of that. Batch-norm statistics are per rank (as under DDP
without SyncBatchNorm); the checkpoint keeps rank 0's running statistics.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from inpaint.errors import InpaintError


@dataclass(frozen=True)
class World:
    """This process's place in a data-parallel run (one process: rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise InpaintError(f"environment variable {name}={value!r} is not an integer") from None


def env_world() -> World:
    """The world torchrun describes in RANK / WORLD_SIZE / LOCAL_RANK (none: one process)."""
    world = World(_env_int("RANK", 0), _env_int("WORLD_SIZE", 1), _env_int("LOCAL_RANK", 0))
    if world.world_size < 1 or not 0 <= world.rank < world.world_size \
            or not 0 <= world.local_rank < world.world_size:
        raise InpaintError(f"inconsistent torchrun environment: RANK={world.rank}, "
                           f"WORLD_SIZE={world.world_size}, LOCAL_RANK={world.local_rank}")
    return world


def current() -> World:
    """The world of the initialised process group, else a single process."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return World()
    return World(dist.get_rank(), dist.get_world_size(), _env_int("LOCAL_RANK", 0))


@contextlib.contextmanager
def process_group(resolve: Callable[[], str]) -> Iterator[World]:
    """Join the process group torchrun set up (NCCL for CUDA, gloo for the CPU); leave it
    at the end. Without torchrun (WORLD_SIZE unset or 1) this does nothing.
    ``resolve()``: the device type the run computes on, asked only in a data-parallel run."""
    import torch
    import torch.distributed as dist

    world = env_world()
    if not world.distributed:
        yield world
        return
    cuda = resolve() == "cuda"
    if cuda:
        if world.local_rank >= torch.cuda.device_count():
            raise InpaintError(
                f"data-parallel run of {world.world_size} processes on one node, but only "
                f"{torch.cuda.device_count()} CUDA device(s) are visible: lower the method's "
                "gpus or request more GPUs"
            )
        torch.cuda.set_device(world.local_rank)
    dist.init_process_group("nccl" if cuda else "gloo")
    try:
        yield world
    finally:
        dist.destroy_process_group()


def rank_seed(seed: int, world: World) -> int:
    """Rank 0 keeps ``seed`` (a one-process run is unchanged); rank r > 0 gets its own."""
    from inpaint.training.seeding import Stream, derive_seed

    return seed if world.rank == 0 else derive_seed(seed, Stream.RANK, world.rank)


def check_batch(batch_size: int, world: World, method: str) -> int:
    """The per-rank batch: ``batch_size`` must split evenly over the ranks."""
    if batch_size % world.world_size:
        raise InpaintError(
            f"methods.{method}.batch_size ({batch_size}) is the global batch and must be "
            f"divisible by the number of processes ({world.world_size}, the method's gpus)"
        )
    return batch_size // world.world_size


def average_gradients(params: Iterable, world_size: int) -> None:
    """All-reduce (mean) the gradients of ``params`` in place, as DDP's reducer does.

    Every rank runs the same code path, so the same parameters have gradients;
    they are flattened into one buffer per dtype and device, reduced, copied back.
    """
    import torch
    import torch.distributed as dist

    if world_size <= 1:
        return
    groups: dict[tuple, list[torch.Tensor]] = {}
    for p in params:
        if p.grad is not None:
            groups.setdefault((p.grad.dtype, p.grad.device), []).append(p.grad)
    for grads in groups.values():
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat.div_(world_size)
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()


def average_losses(losses: Mapping[str, float], world: World, device) -> dict[str, float]:
    """The ranks' mean of each loss (every rank returns the same names in a step)."""
    import torch
    import torch.distributed as dist

    if not world.distributed or not losses:
        return dict(losses)
    names = sorted(losses)
    values = torch.tensor([float(losses[n]) for n in names], dtype=torch.float64, device=device)
    dist.all_reduce(values)
    values /= world.world_size
    return dict(zip(names, values.tolist(), strict=True))


def broadcast_modules(modules: Mapping, world: World) -> None:
    """Copy rank 0's parameters and buffers to every rank."""
    import torch.distributed as dist

    if not world.distributed:
        return
    for name in sorted(modules):
        module = modules[name]
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=0)
