"""pconv's training system: the paper's losses, Adam, the training masks and the fine-tuning
phase (imports torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from inpaint.errors import InpaintError
from inpaint.methods.pconv.network import build_unet
from inpaint.methods.pconv.recipe import VGG_TERMS, finetune_steps, loss_weights
from inpaint.pretrained.vgg import VGG16Features, load_vgg16_features
from inpaint.training import Runtime, TrainingSystem, derive_seed
from inpaint.training.masks import draw_mixture, mixture_masks, to_tensor
from inpaint.training.seeding import Stream


def tv_loss(comp: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """Total variation of the composite on the 1-pixel dilation P of the hole region:
    |x[i, j+1] - x[i, j]| and |x[i+1, j] - x[i, j]| over pairs inside P, summed and
    divided by the composite's element count (the paper's size averaging)."""
    region = F.max_pool2d(hole, 3, stride=1, padding=1)
    dx = (comp[..., :, 1:] - comp[..., :, :-1]).abs() * region[..., :, 1:] * region[..., :, :-1]
    dy = (comp[..., 1:, :] - comp[..., :-1, :]).abs() * region[..., 1:, :] * region[..., :-1, :]
    return (dx.sum() + dy.sum()) / comp.numel()


def gram(feat: torch.Tensor) -> torch.Tensor:
    """Gram matrix normalised by K_p = 1 / (C H W): (B, C, C)."""
    b, c, h, w = feat.shape
    flat = feat.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def feature_losses(feats: list[torch.Tensor], targets: list[torch.Tensor]
                   ) -> dict[str, torch.Tensor]:
    """L_perc, L_style_out and L_style_comp from VGG features.

    ``feats[p]`` holds layer p's features of [I_out; I_comp] (2B images), ``targets[p]``
    those of I_gt (B images). As in the paper, each L1 distance is size-averaged: over the
    C H W elements of a feature map for L_perc (summed over pool1-3 and over I_out and
    I_comp), over the C x C entries of the Gram matrices for L_style; then over the batch.
    """
    perc, style_out, style_comp = (targets[0].new_zeros(()) for _ in range(3))
    for both, ref in zip(feats, targets, strict=True):
        f_out, f_comp = both.float().split(len(ref))
        ref = ref.float()
        ref_gram = gram(ref)
        perc = perc + (f_out - ref).abs().mean() + (f_comp - ref).abs().mean()
        style_out = style_out + (gram(f_out) - ref_gram).abs().mean()
        style_comp = style_comp + (gram(f_comp) - ref_gram).abs().mean()
    return {"perc": perc, "style_out": style_out, "style_comp": style_comp}


def perceptual_style(vgg: VGG16Features, out: torch.Tensor, comp: torch.Tensor,
                     gt: torch.Tensor) -> dict[str, torch.Tensor]:
    """The VGG terms: one pass over the concatenated [I_out; I_comp] (gradients flow to the
    U-Net), one over I_gt without autograd. (One pass over [out; comp; gt] back-propagates
    through gt's third too: measured 10-25% slower per step at 32 px, batch 16, 1 thread.)"""
    with torch.no_grad():
        targets = vgg(gt)
    return feature_losses(vgg(torch.cat([out, comp])), targets)


def pconv_losses(out: torch.Tensor, gt: torch.Tensor, known: torch.Tensor,
                 weights: dict[str, float], vgg: VGG16Features | None = None
                 ) -> dict[str, torch.Tensor]:
    """The paper's loss terms and their weighted sum ``loss`` (all images in [0, 1]).

    ``weights``: term -> weight (:data:`inpaint.methods.pconv.recipe.PAPER_LOSS` are the paper's);
    terms missing from it or weighted 0 are left out of ``loss``. With ``vgg`` the
    perceptual and style terms are computed too.
    """
    hole = 1 - known
    terms = {
        "valid": (known * (out - gt)).abs().mean(),
        "hole": (hole * (out - gt)).abs().mean(),
    }
    comp = known * gt + hole * out
    terms["tv"] = tv_loss(comp, hole)
    if vgg is not None:
        terms.update(perceptual_style(vgg, out, comp, gt))
    terms["loss"] = sum(weights[name] * value for name, value in terms.items()
                        if weights.get(name))
    return terms


class PConvSystem(TrainingSystem):
    """The U-Net, Adam, irregular training masks and the fine-tune phase."""

    loss_names = ("loss", "valid", "hole", "tv")  # + VGG_TERMS with VGG16 weights

    def __init__(self, runtime: Runtime, *, channels: int, size: int, partial: bool,
                 hp: dict[str, Any], steps: int, fill: list[float],
                 vgg_path: Path | None, perceptual_status: str) -> None:
        super().__init__(runtime)
        self.size, self.hp = size, hp
        self.net = build_unet(hp, channels, size, partial).to(
            self.device, memory_format=torch.channels_last)  # faster convolutions, CPU and GPU
        if not partial:
            self.net.fill.copy_(torch.tensor(fill))
        self.modules = {"unet": self.net}
        self.optimizers = {"adam": torch.optim.Adam(self.net.parameters(), lr=hp["lr"],
                                                    fused=True)}
        # the phase is a function of the step (resume lands in the right phase)
        ft = finetune_steps(hp["finetune_steps"], steps)
        self.finetune_start = steps - ft if ft else None
        self.weights = loss_weights(hp)
        self.vgg = load_vgg16_features(vgg_path, self.device) if vgg_path is not None else None
        if self.vgg is not None:
            self.loss_names = (*self.loss_names, *VGG_TERMS)
        self.perceptual_status = perceptual_status
        self.pool = None  # training masks drawn once (mask_pool of them), reused transformed
        if hp["mask_pool"]:
            rng = np.random.default_rng(derive_seed(runtime.seed, Stream.PCONV_MASKS))
            self.pool, blocks = draw_mixture(rng, hp["mask_pool"], size, hp["train_masks"])
            self.pool_shifts = np.array([hp["train_masks"][b]["kind"] != "center"
                                         for b in blocks])  # a center mask stays centred

    def phase(self, step: int) -> str:
        return "finetune" if self.finetune_start is not None and step > self.finetune_start \
            else "train"

    def masks(self, n: int, seed: int) -> torch.Tensor:
        """``n`` training masks: fresh ones, or drawn from the pool with a random flip,
        transpose and circular shift each (hole ratios unchanged)."""
        rng = np.random.default_rng(seed)
        if self.pool is None:
            known = mixture_masks(rng, n, self.size, self.hp["train_masks"])
            return to_tensor(known, self.device)
        index = rng.integers(0, len(self.pool), n)
        picked = self.pool[index]
        flips, shifts = rng.random((n, 3)) < 0.5, rng.integers(0, self.size, (n, 2))
        shifts[~self.pool_shifts[index]] = 0
        for i in range(n):
            mask = picked[i][::-1] if flips[i, 0] else picked[i]
            mask = mask[:, ::-1] if flips[i, 1] else mask
            mask = mask.T if flips[i, 2] else mask
            picked[i] = np.roll(mask, tuple(shifts[i]), axis=(0, 1))
        return to_tensor(picked, self.device)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        finetune = self.phase(step) == "finetune"
        self.net.train()
        self.net.freeze_encoder_norms(finetune)
        opt = self.optimizers["adam"]
        for group in opt.param_groups:
            group["lr"] = self.hp["finetune_lr"] if finetune else self.hp["lr"]
        known = self.masks(len(batch), derive_seed(self.runtime.seed, Stream.PCONV_MASKS, step))
        batch = batch.contiguous(memory_format=torch.channels_last)
        with self.runtime.autocast():
            out = self.net(batch, known)
            terms = pconv_losses(out.float(), batch, known, self.weights, self.vgg)
        opt.zero_grad(set_to_none=True)
        self.runtime.scaler.backward(terms["loss"])
        self.runtime.scaler.step(opt)
        return {name: value.item() for name, value in terms.items()}

    def sample(self, batch: torch.Tensor) -> torch.Tensor:
        known = self.masks(len(batch), derive_seed(self.runtime.seed, Stream.PCONV_MASKS, 0))
        out = self.net(batch, known).float()
        corrupted = batch * known + (1 - known)  # holes shown white
        return torch.cat([batch, corrupted, out, known * batch + (1 - known) * out])

    def extra_state(self) -> dict[str, Any]:
        return {"perceptual_loss": self.perceptual_status}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        saved = str(state.get("perceptual_loss", ""))
        if saved.split(":")[0] != self.perceptual_status.split(":")[0]:
            raise InpaintError(
                f"the checkpoint was trained with perceptual_loss {saved!r} but this run has "
                f"{self.perceptual_status!r}: delete the model directory or restore the weights"
            )
