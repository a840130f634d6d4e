"""glcic's training system: completion network + global/local discriminator, the paper's
three phases, its losses and optimisers (imports torch)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from inpaint.methods.glcic.network import Discriminator, build_net
from inpaint.methods.glcic.schedule import patch_origins, phase_at
from inpaint.training import Runtime, TrainingSystem, derive_seed
from inpaint.training.masks import mixture_masks, to_tensor
from inpaint.training.seeding import Stream


def crop(images: torch.Tensor, origins: np.ndarray, patch: int) -> torch.Tensor:
    """The ``patch`` x ``patch`` windows at ``origins`` (N, 2) of images (N, C, H, W)."""
    return torch.stack([img[:, top:top + patch, left:left + patch]
                        for img, (top, left) in zip(images, origins.tolist(), strict=True)])


class GLCICSystem(TrainingSystem):
    """Completion network + global/local discriminator, the paper's three phases."""

    loss_names = ("mse", "d", "g_adv")

    def __init__(self, runtime: Runtime, hp: dict[str, Any], channels: int, size: int,
                 mean: list[float]) -> None:
        super().__init__(runtime)
        self.hp, self.size, self.patch = hp, size, size // 2
        self.net = build_net(hp, channels, mean).to(self.device)
        self.disc = Discriminator(channels, size, hp["d_width"]).to(self.device)
        self.modules = {"completion": self.net, "discriminator": self.disc}
        self.optimizers = {name: self._optimizer(module) for name, module in self.modules.items()}
        self.train_masks = hp["train_masks"]

    def _optimizer(self, module: torch.nn.Module) -> torch.optim.Optimizer:
        if self.hp["optimizer"] == "adadelta":
            return torch.optim.Adadelta(module.parameters(), lr=self.hp["lr"])
        return torch.optim.Adam(module.parameters(), lr=self.hp["lr"], betas=(0.5, 0.999))

    def phase(self, step: int) -> str:
        return phase_at(step, self.hp["completion_steps"], self.hp["discriminator_steps"])

    def _masks(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return mixture_masks(rng, n, self.size, self.train_masks)

    def _complete(self, batch: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        with self.runtime.autocast():
            out = self.net(batch, known).float()
        return out * (1 - known) + batch * known

    def _logits(self, images: torch.Tensor, origins: np.ndarray) -> torch.Tensor:
        with self.runtime.autocast():
            return self.disc(images, crop(images, origins, self.patch)).float()

    def _step(self, name: str, loss: torch.Tensor) -> None:
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        self.runtime.scaler.backward(loss)
        self.runtime.scaler.step(opt)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        phase = self.phase(step)
        rng = np.random.default_rng(derive_seed(self.runtime.seed, Stream.GLCIC_MASKS, step))
        known_np = self._masks(rng, len(batch))
        known = to_tensor(known_np, self.device)
        hole = 1 - known
        fake_at = patch_origins(known_np, self.patch)
        real_at = rng.integers(0, self.size - self.patch + 1, size=(len(batch), 2))
        losses: dict[str, float] = {}
        if phase == "discriminator":
            with torch.no_grad():
                comp = self._complete(batch, known)
        else:
            comp = self._complete(batch, known)
            # weighted MSE: squared error on the hole, averaged over hole pixels
            mse = ((comp - batch) ** 2 * hole).sum() / (hole.sum() * batch.shape[1]).clamp(min=1)
            losses["mse"] = mse.item()
        if phase != "completion":
            real, fake = self._logits(batch, real_at), self._logits(comp.detach(), fake_at)
            d_loss = 0.5 * (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
            self._step("discriminator", d_loss)
            losses["d"] = d_loss.item()
        if phase == "joint":
            logit = self._logits(comp, fake_at)
            adv = F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
            losses["g_adv"] = adv.item()
            mse = mse + self.hp["alpha"] * adv
        if phase != "discriminator":
            self._step("completion", mse)
        return losses

    def sample(self, batch: torch.Tensor) -> torch.Tensor:
        rng = np.random.default_rng(derive_seed(self.runtime.seed, Stream.GLCIC_SAMPLE_MASKS))
        known = to_tensor(self._masks(rng, len(batch)), self.device)
        mean = self.net.mean.to(batch.dtype)
        return torch.cat([batch, batch * known + mean * (1 - known), self._complete(batch, known)])
