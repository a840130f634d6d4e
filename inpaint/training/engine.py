"""The training engine shared by all learned methods.

``train(build, images, model_dir, config)`` seeds everything, builds the
method's TrainingSystem, resumes from ``model_dir/last.pt`` when there is one,
and runs ``system.train_step(batch, step)`` up to ``config.steps``. It writes
into ``model_dir``:

    last.pt                 checkpoint every ``checkpoint_every`` steps and at the end
    step_XXXXXX.pt          kept copies (``keep_checkpoints``)
    train_log.csv           step, phase, losses (interval means), seconds
    samples/step_XXXXXX.png sample grids every ``sample_every`` steps and at the end
    loss_curve.png          the log plotted, at the end (and at checkpoints, once a minute)
    model.json              written last: method, steps, final losses, wall time, device

On the CPU a run that is killed and resumed ends with bit-identical weights
and the same log as an uninterrupted one (CUDA kernels need not be deterministic).

Started by torchrun (WORLD_SIZE > 1), ``train`` joins the process group and
trains data-parallel (inpaint.training.distributed): the same global batch and
results layout, gradients averaged over the ranks, rank 0 alone writing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from inpaint.errors import InpaintError
from inpaint.io import atomic_path, write_text
from inpaint.training import distributed
from inpaint.training.checkpoint import FORMAT, load_checkpoint, save_checkpoint
from inpaint.training.device import Runtime, make_runtime, resolve_device
from inpaint.training.losslog import LossLog, first_non_finite
from inpaint.training.plots import plot_loss_curve, save_sample_grid
from inpaint.training.sampler import ImageSampler
from inpaint.training.seeding import (
    capture_rng,
    derive_seed,
    isolated_rng,
    restore_rng,
    seed_everything,
)
from inpaint.training.system import TrainingSystem

LAST_CHECKPOINT = "last.pt"
LOG_FILE = "train_log.csv"
LOSS_CURVE = "loss_curve.png"
SAMPLES_DIR = "samples"
MODEL_JSON = "model.json"
CURVE_INTERVAL_S = 60.0  # redraw the loss curve at a checkpoint at most this often


@dataclass(frozen=True)
class TrainConfig:
    """One training run. ``hparams`` (the method's hyper-parameters) go into the config hash
    with method, seed, batch size and flips; steps, device, threads and intervals do not,
    so a run can be resumed on another device or extended to more steps."""

    method: str
    steps: int
    batch_size: int
    seed: int = 0
    device: str = "auto"
    threads: int = 1
    amp: str = "auto"
    flip: bool = False
    checkpoint_every: int = 1000
    keep_checkpoints: bool = False
    log_every: int = 10
    sample_every: int = 500
    n_samples: int = 8
    progress: bool | None = None
    hparams: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        minimum = {"steps": 1, "batch_size": 1, "threads": 1, "log_every": 1, "n_samples": 1,
                   "seed": 0, "checkpoint_every": 0, "sample_every": 0}
        for key, lo in minimum.items():
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise InpaintError(f"training setting {key} must be an integer >= {lo}, "
                                   f"got {value!r}")

    @classmethod
    def from_params(cls, method: str, params: Mapping[str, Any], **engine: Any) -> TrainConfig:
        """Split a method's config block: keys naming TrainConfig fields (steps, batch_size,
        ...) configure the engine, the rest become ``hparams``; ``engine`` overrides both
        (e.g. device and threads from the command line)."""
        names = {f.name for f in fields(cls)} - {"method", "hparams"}
        unknown = sorted(set(engine) - names)
        if unknown:
            raise InpaintError(f"unknown training setting(s) {unknown} for method {method!r}")
        chosen = {**{k: v for k, v in params.items() if k in names}, **engine}
        missing = [k for k in ("steps", "batch_size") if k not in chosen]
        if missing:
            raise InpaintError(f"methods.{method}: missing training setting(s) {missing}")
        hparams = {k: v for k, v in params.items() if k not in names}
        return cls(method=method, hparams=hparams, **chosen)

    @property
    def config_hash(self) -> str:
        key = {"method": self.method, "seed": self.seed, "batch_size": self.batch_size,
               "flip": self.flip, "hparams": dict(self.hparams)}
        text = json.dumps(key, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TrainResult:
    model_dir: Path
    step: int
    losses: dict[str, float]
    seconds: float
    resumed_from: int


def train(build: Callable[[Runtime], TrainingSystem], images: np.ndarray,
          model_dir: str | os.PathLike, config: TrainConfig, *,
          sample_images: np.ndarray | None = None,
          callback: Callable[[int, dict[str, float]], None] | None = None) -> TrainResult:
    """Train ``build(runtime)`` on uint8 ``images`` (N, H, W, C) into ``model_dir``.

    Resumes from ``model_dir/last.pt`` when present (InpaintError if it belongs to
    another method, image size, channel count or config). Sample grids show
    ``sample_images`` (default: the first ``n_samples`` training images).
    ``callback(step, losses)`` runs after each step's bookkeeping; an exception
    from it stops training as a kill would (tests use it).

    Under torchrun (or inside an initialised process group) every rank calls this
    with the same arguments; see inpaint.training.distributed.
    """
    if distributed.current().distributed:
        return _train(build, images, model_dir, config, sample_images, callback,
                      distributed.current())
    with distributed.process_group(lambda: resolve_device(config.device).type) as world:
        return _train(build, images, model_dir, config, sample_images, callback, world)


def _train(build, images, model_dir, config, sample_images, callback,
           world: distributed.World) -> TrainResult:
    distributed.check_batch(config.batch_size, world, config.method)
    rt = make_runtime(config.device, config.threads, config.amp, config.seed, world=world)
    seed_everything(config.seed, rt.cuda)  # the same initial weights on every rank
    system = build(rt)
    if not system.modules or not system.loss_names:
        raise ValueError(f"{type(system).__name__} registers no modules or no loss_names")
    if rt.memory_format != torch.contiguous_format:
        for module in system.modules.values():
            module.to(memory_format=rt.memory_format)
    if world.distributed:
        distributed.broadcast_modules(system.modules, world)
        seed_everything(rt.seed, rt.cuda)  # rank > 0: its own masks and noise
    sampler = ImageSampler(images, config.batch_size, seed=config.seed, flip=config.flip,
                           value_range=system.value_range, device=rt.device,
                           memory_format=rt.memory_format, rank=world.rank,
                           world_size=world.world_size)
    shown = images[:config.n_samples] if sample_images is None else sample_images
    run = _Run(system, rt, config, Path(model_dir), sampler, sampler.tensor(shown),
               {"method": config.method, "image_size": list(np.shape(images)[1:3]),
                "channels": int(np.shape(images)[3]), "config_hash": config.config_hash},
               world)
    return run.loop(callback)


class _Run:
    """State of one train() call: the loop, checkpoints, samples and final outputs.

    In a data-parallel run every rank runs the loop; only rank 0 (``main``) writes.
    """

    def __init__(self, system: TrainingSystem, rt: Runtime, config: TrainConfig, model_dir: Path,
                 sampler: ImageSampler, shown: torch.Tensor, meta: dict[str, Any],
                 world: distributed.World | None = None) -> None:
        self.system, self.rt, self.config, self.dir = system, rt, config, model_dir
        self.sampler, self.shown, self.meta = sampler, shown, meta
        self.world = world or distributed.World()
        self.main = self.world.main
        self.last = model_dir / LAST_CHECKPOINT
        self.start, self.good, elapsed, pending = 0, 0, 0.0, None
        if self.last.exists():
            ckpt = load_checkpoint(self.last, expected=meta)
            system.load_state_dict(ckpt, source=str(self.last))
            rt.scaler.load_state_dict(ckpt["scaler"])
            restore_rng(ckpt["rng"], rt.cuda)
            self.start = self.good = int(ckpt["meta"]["step"])
            if not self.main:  # the checkpoint holds rank 0's generators
                seed_everything(derive_seed(rt.seed, self.start), rt.cuda)
            elapsed, pending = float(ckpt["elapsed"]), ckpt["log"]
        if self.start > config.steps:
            raise InpaintError(
                f"checkpoint {self.last} is at step {self.start}, past steps={config.steps}: "
                "raise steps or delete the model directory"
            )
        self.log = None
        if self.main:
            model_dir.mkdir(parents=True, exist_ok=True)
            (model_dir / MODEL_JSON).unlink(missing_ok=True)
            self.log = LossLog(model_dir / LOG_FILE, system.loss_names, resume_step=self.start)
            if pending is not None:
                self.log.load_pending(pending)
        self.t0 = time.perf_counter() - elapsed
        self._mark = (self.start, elapsed)
        self.plotted = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.t0

    def loop(self, callback: Callable[[int, dict[str, float]], None] | None) -> TrainResult:
        cfg, system = self.config, self.system
        bar = tqdm(total=cfg.steps, initial=self.start, desc=cfg.method, unit="step",
                   file=sys.stderr, mininterval=1.0, dynamic_ncols=True,
                   disable=(None if cfg.progress is None else not cfg.progress)
                   if self.main else True)
        try:
            for step in range(self.start + 1, cfg.steps + 1):
                losses = {k: float(v) for k, v in
                          system.train_step(self.sampler.batch(step), step).items()}
                losses = distributed.average_losses(losses, self.world, self.rt.device)
                self.rt.scaler.update()
                bad = first_non_finite(losses)
                if self.main:
                    self.log.add(losses)
                    if bad or step % cfg.log_every == 0 or step == cfg.steps:
                        row = self._log_row(step)
                        bar.set_postfix({k: f"{v:.4g}" for k, v in row.items() if k in losses},
                                        refresh=False)
                if bad:
                    self._stop_non_finite(step, f"loss {bad[0]} is {bad[1]}")
                if self.main and cfg.sample_every and (step % cfg.sample_every == 0
                                                       or step == cfg.steps):
                    self._samples(step)
                if step == cfg.steps or (cfg.checkpoint_every and step % cfg.checkpoint_every == 0):
                    self._checkpoint(step, bar)
                bar.update(1)
                if callback is not None:
                    callback(step, losses)
        finally:
            bar.close()
            if self.log is not None:
                self.log.close()
        return self._finish()

    def _log_row(self, step: int) -> dict[str, Any]:
        """Write the interval's losses with throughput (images/s) and peak GPU memory."""
        now = self.seconds()
        last_step, last_time = self._mark
        images_per_s = ((step - last_step) * self.config.batch_size / (now - last_time)
                        if now > last_time else None)
        gpu_mb = (torch.cuda.max_memory_allocated(self.rt.device) / 2**20
                  if self.rt.cuda else None)
        self._mark = (step, now)
        return self.log.write(step, self.system.phase(step), now, images_per_s, gpu_mb)

    def _stop_non_finite(self, step: int, what: str) -> None:
        kept = (f"the last good checkpoint {self.last} (step {self.good}) is kept"
                if self.good else "no checkpoint was written")
        raise InpaintError(
            f"{self.config.method}: {what} at step {step}; training stopped. "
            f"Losses are in {self.dir / LOG_FILE}; {kept}."
        )

    def _samples(self, step: int) -> None:
        modes = [(m, m.training) for net in self.system.modules.values() for m in net.modules()]
        try:
            for net in self.system.modules.values():
                net.eval()
            with torch.no_grad(), isolated_rng(self.config.seed, self.rt.cuda):
                grid = self.system.sample(self.shown)
        finally:
            for module, mode in modes:
                module.training = mode
        save_sample_grid(grid, self.dir / SAMPLES_DIR / f"step_{step:06d}.png",
                         nrow=len(self.shown), value_range=self.system.value_range)

    def _checkpoint(self, step: int, bar: tqdm) -> None:
        state = self.system.state_dict()
        for kind in ("modules", "optimizers"):
            for name, sd in state[kind].items():
                if any(t.is_floating_point() and not t.isfinite().all() for t in _tensors(sd)):
                    self._stop_non_finite(step, f"{kind[:-1]} {name!r} has non-finite values")
        self.good = step
        if not self.main:  # every rank checks (the same weights); rank 0 writes
            return
        payload = {
            "format": FORMAT,
            "meta": {**self.meta, "step": step, "phase": self.system.phase(step),
                     "torch": str(torch.__version__), "device": str(self.rt.device),
                     "amp": self.rt.amp.name},
            **state,
            "scaler": self.rt.scaler.state_dict(),
            "rng": capture_rng(self.rt.cuda),
            "log": self.log.pending(),
            "elapsed": self.seconds(),
        }
        save_checkpoint(self.last, payload)
        if self.config.keep_checkpoints:
            with atomic_path(self.dir / f"step_{step:06d}.pt") as tmp:
                shutil.copyfile(self.last, tmp)
        if time.perf_counter() - self.plotted > CURVE_INTERVAL_S:
            self._plot()
        if bar.disable:
            row = self.log.last_row
            losses = " ".join(f"{k}={v:.4g}" for k, v in row.items() if k in self.log.loss_names)
            print(f"{self.config.method}: step {step}/{self.config.steps} "
                  f"[{row.get('phase', '')}] {losses}", file=sys.stderr, flush=True)

    def _plot(self) -> None:
        plot_loss_curve(self.log.path, self.dir / LOSS_CURVE, title=self.config.method)
        self.plotted = time.perf_counter()

    def _finish(self) -> TrainResult:
        cfg, rt = self.config, self.rt
        if not self.main:
            return TrainResult(self.dir, cfg.steps, {}, self.seconds(), self.start)
        row = self.log.last_row
        losses = {k: v for k, v in row.items() if k in self.log.loss_names}
        seconds = self.seconds()
        self._plot()
        info = {
            **self.meta, "steps": cfg.steps, "batch_size": cfg.batch_size, "seed": cfg.seed,
            "flip": cfg.flip, "hparams": dict(cfg.hparams), "final_losses": losses,
            "final_phase": row.get("phase"), "wall_seconds": round(seconds, 3),
            "resumed_from": self.start or None, "device": str(rt.device),
            "device_name": torch.cuda.get_device_name(rt.device) if rt.cuda else "cpu",
            "threads": rt.threads, "amp": rt.amp.name, "torch": str(torch.__version__),
            "peak_gpu_memory_mb": (round(torch.cuda.max_memory_allocated(rt.device) / 2**20, 1)
                                   if rt.cuda else None),
            "checkpoint": LAST_CHECKPOINT, "log": LOG_FILE,
            "world_size": self.world.world_size,
        }
        write_text(self.dir / MODEL_JSON, json.dumps(info, indent=2, sort_keys=True,
                                                     default=str) + "\n")
        return TrainResult(self.dir, cfg.steps, losses, seconds, self.start)


def _tensors(state: Any) -> list[torch.Tensor]:
    """Every tensor inside a (nested) state_dict."""
    if torch.is_tensor(state):
        return [state]
    if isinstance(state, Mapping):
        return [t for value in state.values() for t in _tensors(value)]
    if isinstance(state, list | tuple):
        return [t for value in state for t in _tensors(value)]
    return []
