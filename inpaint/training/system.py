"""The plug-in interface between a learned method and the training engine."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch
from torch import nn

from inpaint.training.checkpoint import load_modules
from inpaint.training.device import Runtime


class TrainingSystem(ABC):
    """Networks + losses + optimisers + schedule of one learned method.

    The engine builds a system with ``build(runtime)`` after seeding, then calls
    ``train_step(batch, step)`` for step = 1, 2, ... and checkpoints everything
    the system registers by name. A subclass:

    * builds its networks on ``runtime.device`` and registers them in
      ``self.modules``, its optimisers in ``self.optimizers`` and any LR
      schedulers in ``self.schedulers`` (all saved and restored by name);
    * lists in ``loss_names`` every loss ``train_step`` may return (the CSV columns);
    * sets ``value_range`` to the range it wants batches in, (0, 1) or (-1, 1);
    * wraps forward passes in ``self.runtime.autocast()`` and uses
      ``self.runtime.scaler.backward(loss)`` / ``.step(optimizer)`` instead of
      ``loss.backward()`` / ``optimizer.step()`` (AMP on CUDA; plain calls on the
      CPU). The engine calls ``scaler.update()`` after every step; a system that
      steps one optimiser twice in a step calls ``scaler.update()`` in between;
    * draws its randomness (training masks, noise) from the global torch /
      numpy / python generators, whose states every checkpoint saves, or from a
      generator seeded with ``derive_seed(self.runtime.seed, step)``;
    * makes its schedule a function of ``step`` (``phase(step)``), so a resumed
      run lands in the right phase;
    * keeps any other state (EMA weights, counters) in ``extra_state()``,
      tensors and plain containers only.
    """

    value_range: tuple[float, float] = (0.0, 1.0)
    loss_names: tuple[str, ...] = ()

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.modules: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.schedulers: dict[str, Any] = {}

    @property
    def device(self) -> torch.device:
        return self.runtime.device

    @abstractmethod
    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        """One training iteration on ``batch`` (B, C, H, W); return the losses as floats."""

    @abstractmethod
    def sample(self, batch: torch.Tensor) -> torch.Tensor:
        """Images for a sample grid: (R * B, C, H, W) in ``value_range``, R rows of B images
        (e.g. real, corrupted, completed). Called in eval mode, under ``torch.no_grad()``,
        with the global generators seeded identically for every grid."""

    def phase(self, step: int) -> str:
        """Name of the schedule phase ``step`` belongs to (logged with the losses)."""
        return "train"

    def extra_state(self) -> dict[str, Any]:
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore what ``extra_state`` returned (override both or neither)."""
        if state:
            raise NotImplementedError(
                f"{type(self).__name__} saves extra state but does not override load_extra_state"
            )

    def state_dict(self) -> dict[str, Any]:
        return {
            "modules": {name: m.state_dict() for name, m in self.modules.items()},
            "optimizers": {name: o.state_dict() for name, o in self.optimizers.items()},
            "schedulers": {name: s.state_dict() for name, s in self.schedulers.items()},
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: dict[str, Any], source: str = "<checkpoint>") -> None:
        """Load a ``state_dict()``; raises InpaintError naming ``source`` on any mismatch."""
        load_modules(source, self.modules, state["modules"])
        load_modules(source, self.optimizers, state["optimizers"])
        load_modules(source, self.schedulers, state["schedulers"])
        self.load_extra_state(state["extra"])
