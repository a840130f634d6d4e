"""context_encoder's training system: generator (+ region or PatchGAN discriminator), the
reconstruction and adversarial losses, Adam, mixed training masks (imports torch)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch.nn import functional as F

from inpaint.methods.context_encoder.network import (
    Generator,
    PatchDiscriminator,
    RegionDiscriminator,
    crop_regions,
    hole_boxes,
)
from inpaint.training import TrainingSystem, derive_seed
from inpaint.training.masks import mixture_masks, to_tensor
from inpaint.training.seeding import Stream


def overlap_weights(known, overlap: int, band_weight: float):
    """Per-pixel weights of the L2 loss, (N, 1, H, W): 1 on hole pixels, ``band_weight`` on
    known pixels within ``overlap`` px (Chebyshev distance) of the hole, 0 elsewhere."""
    hole = 1.0 - known
    if overlap <= 0:
        return hole
    near = F.max_pool2d(hole, 2 * overlap + 1, stride=1, padding=overlap)
    return hole + band_weight * (near - hole)


def reconstruction_loss(pred, real, known, kind: str = "l2_band", overlap: int = 1,
                        band_weight: float = 10.0):
    """``l2_band``: sum(w * (pred - real)^2) / (pixels with w > 0 x channels), w from
    ``overlap_weights``; ``l1``: mean |pred - real| over the hole pixels."""
    if kind == "l1":
        hole = (1.0 - known).expand_as(pred)
        return ((pred - real).abs() * hole).sum() / hole.sum().clamp(min=1.0)
    weights = overlap_weights(known, overlap, band_weight)
    count = (weights > 0).float().sum() * pred.shape[1]
    return (weights * (pred - real) ** 2).sum() / count.clamp(min=1.0)


def gan_loss(logits, real: bool, kind: str = "lsgan"):
    """LSGAN: mean (logits - target)^2; BCE: binary cross-entropy with logits."""
    target = torch.full_like(logits, 1.0 if real else 0.0)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, target)
    return F.mse_loss(logits, target)


class ContextEncoderSystem(TrainingSystem):
    """Generator (+ region or PatchGAN discriminator when adv_weight > 0), Adam, mixed
    masks. ``params`` as training_params returns them (region_size resolved)."""

    value_range = (-1.0, 1.0)

    def __init__(self, runtime, params: Mapping, size: int, channels: int,
                 fill: Sequence[float]) -> None:
        super().__init__(runtime)
        self.p, self.size = dict(params), size
        self.adversarial = self.p["adv_weight"] > 0
        self.loss_names = ("rec", "adv", "d") if self.adversarial else ("rec",)
        betas = (self.p["beta1"], 0.999)
        g = Generator(size, channels, self.p["base"], self.p["bottleneck"]).to(self.device)
        g.fill.copy_(torch.tensor(fill, dtype=torch.float32))
        self.modules["generator"] = g
        self.optimizers["generator"] = torch.optim.Adam(g.parameters(), self.p["lr"],
                                                        betas=betas)
        if self.adversarial:
            if self.p["discriminator"] == "region":
                d = RegionDiscriminator(self.p["region_size"], channels, self.p["d_base"])
            else:
                d = PatchDiscriminator(size, channels, self.p["d_base"])
            d = d.to(self.device)
            self.modules["discriminator"] = d
            self.optimizers["discriminator"] = torch.optim.Adam(d.parameters(),
                                                                self.p["d_lr"], betas=betas)

    def masks(self, n: int, key: int) -> torch.Tensor:
        rng = np.random.default_rng(key)
        known = mixture_masks(rng, n, self.size, self.p["train_masks"])
        return to_tensor(known, self.device)

    def judged(self, real: torch.Tensor, comp: torch.Tensor, known: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """What the discriminator sees of the real and the composited images: the hole
        regions (same boxes in both) for ``region``, the whole images for ``patch``."""
        if self.p["discriminator"] == "patch":
            return real, comp
        boxes = hole_boxes(known)
        side = self.p["region_size"]
        return crop_regions(real, boxes, side), crop_regions(comp, boxes, side)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        p, rt = self.p, self.runtime
        known = self.masks(len(batch), derive_seed(rt.seed, Stream.CONTEXT_ENCODER_MASKS, step))
        g = self.modules["generator"]
        with rt.autocast():
            pred = g(batch, known)
        pred = pred.float()
        comp = batch * known + pred * (1 - known)
        losses = {}
        adv = torch.zeros((), device=self.device)
        if self.adversarial:
            d, opt_d = self.modules["discriminator"], self.optimizers["discriminator"]
            real_seen, fake_seen = self.judged(batch, comp, known)
            d.requires_grad_(True)
            with rt.autocast():
                loss_d = 0.5 * (gan_loss(d(real_seen).float(), True, p["gan_loss"])
                                + gan_loss(d(fake_seen.detach()).float(), False,
                                           p["gan_loss"]))
            opt_d.zero_grad(set_to_none=True)
            rt.scaler.backward(loss_d)
            rt.scaler.step(opt_d)
            d.requires_grad_(False)
            with rt.autocast():
                adv = gan_loss(d(fake_seen).float(), True, p["gan_loss"])
            losses.update(adv=adv.item(), d=loss_d.item())
        rec = reconstruction_loss(pred, batch, known, p["reconstruction"], p["overlap"],
                                  p["overlap_weight"])
        opt_g = self.optimizers["generator"]
        opt_g.zero_grad(set_to_none=True)
        rt.scaler.backward(p["rec_weight"] * rec + p["adv_weight"] * adv)
        rt.scaler.step(opt_g)
        return {"rec": rec.item(), **losses}

    def sample(self, batch: torch.Tensor) -> torch.Tensor:
        """Rows: real, corrupted (hole = dataset mean), completed."""
        g = self.modules["generator"]
        key = derive_seed(self.runtime.seed, Stream.CONTEXT_ENCODER_SAMPLE_MASKS)
        known = self.masks(len(batch), key)
        pred = g(batch, known).float()
        return torch.cat([batch, g.masked_input(batch, known),
                          batch * known + pred * (1 - known)])
