"""Context Encoders (Pathak et al. 2016): ``context_encoder`` and ``context_encoder_l2``.

An encoder-decoder with a wide bottleneck (inpaint.methods.context_encoder.network)
sees the image with its hole filled by the dataset mean and predicts the
whole image; the hole is composited back. Training minimises

    rec_weight * reconstruction + adv_weight * adversarial      (0.999 / 0.001)

with ``reconstruction: l2_band`` (the paper: squared error on the hole plus an
``overlap``-pixel band of known pixels around it weighted ``overlap_weight``
= 10x) or ``l1`` (the seed's variant: mean absolute error on the hole), an
LSGAN (the seed) or BCE (the paper) adversarial term, Adam with
beta1 0.5 and the generator's learning rate 10x the discriminator's (the
official code). Training masks are drawn each step from ``train_masks``, a mixture
of the evaluation's mask kinds (inpaint.masks.mixture: a list of ``{kind, weight,
<parameters>}``; by default center, box, irregular and pixels equally weighted, so
one model serves every mask set; the paper's Paris model: center). ``context_encoder_l2``
is the paper's ablation: the same network and reconstruction loss with
adversarial weight 0 (no discriminator).

The adversary (``discriminator``): ``region`` (default, the paper's) judges
only the hole's region: each image's hole bounding box, grown to a square
around its centre and resampled to ``region_size`` px (default half the image
side: the paper's 64 x 64 center of a 128 image), cut from the real image and
from the composite (inpaint.methods.context_encoder.network.crop_regions); ``patch``
(the seed's) is a PatchGAN on the whole composited image.

The defaults are sized for the embedded 32 px CPU run (base 16, bottleneck
128, 800 steps of 32: about 1.5-3 minutes on one shared core); the paper's
scale is base 64 and a 4000-channel bottleneck at 128 px, on a GPU.

Layout: ``network`` (generator, discriminators, hole regions), ``system`` (losses,
optimisers, masks). This package must not import torch at import time (the Snakefile
imports inpaint.methods): torch is imported inside the LearnedMethod hooks only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from inpaint.errors import InpaintError
from inpaint.methods.learned import ENGINE_KEYS, LearnedMethod
from inpaint.methods.registry import register_method

RECONSTRUCTIONS = ("l2_band", "l1")
GAN_LOSSES = ("lsgan", "bce")
DISCRIMINATORS = ("region", "patch")
ADVERSARIAL_KEYS = ("adv_weight", "gan_loss", "d_base", "d_lr", "discriminator", "region_size")


@register_method("context_encoder")
class ContextEncoder(LearnedMethod):
    """Context Encoder (Pathak 2016): encoder-decoder + hole-region (or PatchGAN)
    discriminator, 0.999 rec + 0.001 adv."""

    architecture_keys = ("base", "bottleneck")  # the generator's

    def __init__(self, steps: int = 800, batch_size: int = 32, checkpoint_every: int = 200,
                 sample_every: int = 200, log_every: int = 25, flip: bool = True,
                 base: int = 16, bottleneck: int = 128, reconstruction: str = "l2_band",
                 overlap: int = 1, overlap_weight: float = 10.0, rec_weight: float = 0.999,
                 adv_weight: float = 0.001, gan_loss: str = "lsgan", d_base: int = 16,
                 lr: float = 2e-4, d_lr: float = 2e-5, beta1: float = 0.5,
                 discriminator: str = "region", region_size: int | None = None,
                 train_masks: Sequence[Mapping] | None = None) -> None:
        where = f"methods.{self.name}"
        if reconstruction not in RECONSTRUCTIONS:
            raise InpaintError(f"{where}.reconstruction: {reconstruction!r} is not one of "
                               f"{', '.join(RECONSTRUCTIONS)}")
        if gan_loss not in GAN_LOSSES:
            raise InpaintError(f"{where}.gan_loss: {gan_loss!r} is not one of "
                               f"{', '.join(GAN_LOSSES)}")
        if discriminator not in DISCRIMINATORS:
            raise InpaintError(f"{where}.discriminator: {discriminator!r} is not one of "
                               f"{', '.join(DISCRIMINATORS)}")
        if region_size is not None and (
                isinstance(region_size, bool) or not isinstance(region_size, int)
                or region_size < 8 or region_size & (region_size - 1)):
            raise InpaintError(f"{where}.region_size: expected a power of two >= 8 (or null: "
                               f"half the image side), got {region_size!r}")
        train_masks = self.train_mask_mixture(train_masks)
        for key, value, lo in (("base", base, 1), ("bottleneck", bottleneck, 1),
                               ("d_base", d_base, 1), ("overlap", overlap, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise InpaintError(f"{where}.{key}: expected an integer >= {lo}, got {value!r}")
        if adv_weight < 0 or rec_weight <= 0:
            raise InpaintError(f"{where}: rec_weight must be > 0 and adv_weight >= 0")
        super().__init__(
            steps=steps, batch_size=batch_size, checkpoint_every=checkpoint_every,
            sample_every=sample_every, log_every=log_every, flip=bool(flip), base=base,
            bottleneck=bottleneck, reconstruction=reconstruction, overlap=overlap,
            overlap_weight=float(overlap_weight), rec_weight=float(rec_weight),
            adv_weight=float(adv_weight), gan_loss=gan_loss, d_base=d_base, lr=float(lr),
            d_lr=float(d_lr), beta1=float(beta1), discriminator=discriminator,
            region_size=region_size, train_masks=train_masks,
        )

    @property
    def adversarial(self) -> bool:
        return self.params["adv_weight"] > 0

    def training_params(self, dataset_kind: str, size: int | None = None) -> dict:
        """The config block for TrainConfig.from_params (and model.json's hparams): no flips
        for characters, no discriminator settings (nor their hash) without an adversarial
        term, no region_size for the patch discriminator, and region_size resolved to half
        the image ``size`` when it is null."""
        params = dict(self.params)
        params["flip"] = self.flip(dataset_kind)
        if not self.adversarial:
            for key in ADVERSARIAL_KEYS[1:]:
                params.pop(key)
        elif params["discriminator"] == "patch":
            params.pop("region_size")
        elif params["region_size"] is None and size is not None:
            params["region_size"] = size // 2
        return params

    def hparams(self, info) -> dict[str, Any]:
        params = self.training_params(info.kind, info.size)
        return {k: v for k, v in params.items() if k not in ENGINE_KEYS}

    def make_system(self, runtime, hp, info, config):
        from inpaint.methods.context_encoder.system import ContextEncoderSystem

        fill = [2.0 * m - 1.0 for m in info.mean]
        return ContextEncoderSystem(runtime, hp, info.size, info.channels, fill)

    def build_networks(self, hp, size: int, channels: int) -> dict:
        from inpaint.methods.context_encoder.network import Generator

        return {"generator": Generator(size, channels, hp["base"], hp["bottleneck"])}

    def check_input(self, images: np.ndarray) -> None:
        """Any size and channel count: ``forward`` adapts them to the model's."""

    def forward(self, x, known):
        return _predict(self.networks["generator"], x, known)


@register_method("context_encoder_l2")
class ContextEncoderL2(ContextEncoder):
    """Context Encoder ablation: reconstruction loss only (adversarial weight 0, no D)."""

    def __init__(self, **params) -> None:
        for key in ADVERSARIAL_KEYS:
            if key in params:
                raise TypeError(f"context_encoder_l2 has no adversarial term: unexpected "
                                f"keyword argument {key!r}")
        super().__init__(**params, adv_weight=0.0)


def _predict(net, x, known):
    """Run the generator on images (N, C', H, W) in [0, 1] of any size and channel count:
    resized to the model's size and converted to its channels, the prediction back."""
    import torch
    from torch.nn import functional as F

    n, c, h, w = x.shape
    size, channels = net.size, net.channels
    if c != channels:
        if channels == 1:
            x = (x * torch.tensor([0.299, 0.587, 0.114], device=x.device).view(1, 3, 1, 1)
                 ).sum(1, keepdim=True)
        else:
            x = x.expand(n, channels, h, w)
    if (h, w) != (size, size):
        x = F.interpolate(x, size=(size, size), mode="area")
        known = (F.interpolate(known, size=(size, size), mode="area") > 0.999).float()
    pred = (net(x * 2 - 1, known) + 1) / 2
    if (h, w) != (size, size):
        pred = F.interpolate(pred, size=(h, w), mode="bilinear", align_corners=False)
    if c != channels:
        pred = pred.expand(n, c, h, w) if channels == 1 else pred.mean(1, keepdim=True)
    return pred.clamp(0, 1)
