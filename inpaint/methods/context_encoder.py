"""Context Encoders (Pathak et al. 2016): ``context_encoder`` and ``context_encoder_l2``.

An encoder-decoder with a wide bottleneck (inpaint.networks.context_encoder)
sees the image with its hole filled by the dataset mean and predicts the
whole image; the hole is composited back. Training minimises

    rec_weight * reconstruction + adv_weight * adversarial      (0.999 / 0.001)

with ``reconstruction: l2_band`` (the paper: squared error on the hole plus an
``overlap``-pixel band of known pixels around it weighted ``overlap_weight``
= 10x) or ``l1`` (the seed's variant: mean absolute error on the hole), an
LSGAN (the seed) or BCE (the paper) adversarial term, Adam with
beta1 0.5 and the generator's learning rate 10x the discriminator's (the
official code). Training masks are drawn each step from ``train_masks``, a mixture
of the evaluation's mask kinds (inpaint.mask_mixture: a list of ``{kind, weight,
<parameters>}``; by default center, box, irregular and pixels equally weighted, so
one model serves every mask set; the paper's Paris model: center). ``context_encoder_l2``
is the paper's ablation: the same network and reconstruction loss with
adversarial weight 0 (no discriminator).

The adversary (``discriminator``): ``region`` (default, the paper's) judges
only the hole's region: each image's hole bounding box, grown to a square
around its centre and resampled to ``region_size`` px (default half the image
side: the paper's 64 x 64 center of a 128 image), cut from the real image and
from the composite (inpaint.networks.context_encoder.crop_regions); ``patch``
(the seed's) is a PatchGAN on the whole composited image.

The defaults are sized for the embedded 32 px CPU run (base 16, bottleneck
128, 800 steps of 32: about 1.5-3 minutes on one shared core); the paper's
scale is base 64 and a 4000-channel bottleneck at 128 px, on a GPU.

This module must not import torch at import time (the Snakefile imports
inpaint.methods): torch is imported inside the functions that need it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from inpaint.errors import InpaintError
from inpaint.methods.base import InpaintMethod
from inpaint.methods.registry import register_method

RECONSTRUCTIONS = ("l2_band", "l1")
GAN_LOSSES = ("lsgan", "bce")
NO_FLIP_KINDS = ("fonts", "chars74k")  # a mirrored character is another (or no) character
ENGINE_KEYS = ("steps", "batch_size", "checkpoint_every", "sample_every", "log_every", "flip")
DISCRIMINATORS = ("region", "patch")
ADVERSARIAL_KEYS = ("adv_weight", "gan_loss", "d_base", "d_lr", "discriminator", "region_size")
_MASK_STREAM, _SAMPLE_STREAM = 11, 12  # derive_seed keys of the training / sample-grid masks


def overlap_weights(known, overlap: int, band_weight: float):
    """Per-pixel weights of the L2 loss, (N, 1, H, W): 1 on hole pixels, ``band_weight`` on
    known pixels within ``overlap`` px (Chebyshev distance) of the hole, 0 elsewhere."""
    from torch.nn import functional as F

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
    import torch
    from torch.nn import functional as F

    target = torch.full_like(logits, 1.0 if real else 0.0)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, target)
    return F.mse_loss(logits, target)


@register_method("context_encoder")
class ContextEncoder(InpaintMethod):
    """Context Encoder (Pathak 2016): encoder-decoder + hole-region (or PatchGAN)
    discriminator, 0.999 rec + 0.001 adv."""

    learned = True
    architecture_keys = ("base", "bottleneck")  # the generator's

    def __init__(self, steps: int = 800, batch_size: int = 32, checkpoint_every: int = 200,
                 sample_every: int = 200, log_every: int = 25, flip: bool = True,
                 base: int = 16, bottleneck: int = 128, reconstruction: str = "l2_band",
                 overlap: int = 1, overlap_weight: float = 10.0, rec_weight: float = 0.999,
                 adv_weight: float = 0.001, gan_loss: str = "lsgan", d_base: int = 16,
                 lr: float = 2e-4, d_lr: float = 2e-5, beta1: float = 0.5,
                 discriminator: str = "region", region_size: int | None = None,
                 train_masks: Sequence[Mapping] | None = None) -> None:
        from inpaint.mask_mixture import DEFAULT_MIXTURE, check_mixture

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
        train_masks = check_mixture(f"{where}.train_masks",
                                    DEFAULT_MIXTURE if train_masks is None else train_masks)
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
        self._generator = None
        self._device = None

    @property
    def adversarial(self) -> bool:
        return self.params["adv_weight"] > 0

    def training_params(self, dataset_kind: str, size: int | None = None) -> dict:
        """The config block for TrainConfig.from_params (and model.json's hparams): no flips
        for characters, no discriminator settings (nor their hash) without an adversarial
        term, no region_size for the patch discriminator, and region_size resolved to half
        the image ``size`` when it is null."""
        params = dict(self.params)
        params["flip"] = params["flip"] and dataset_kind not in NO_FLIP_KINDS
        if not self.adversarial:
            for key in ADVERSARIAL_KEYS[1:]:
                params.pop(key)
        elif params["discriminator"] == "patch":
            params.pop("region_size")
        elif params["region_size"] is None and size is not None:
            params["region_size"] = size // 2
        return params

    def fit(self, data_dir: str | os.PathLike, model_dir: str | os.PathLike, **engine) -> None:
        from inpaint.data.store import load_info, load_split
        from inpaint.training import TrainConfig, train

        info = load_info(data_dir)
        _, images = load_split(data_dir, "train")
        if len(images) == 0:
            raise InpaintError(f"{data_dir}: the train split is empty; {self.name} needs images")
        params = self.training_params(info.kind, info.size)
        config = TrainConfig.from_params(self.name, params, **engine)
        fill = [2.0 * m - 1.0 for m in info.mean]
        system = _system_class()
        train(lambda rt: system(rt, params, info.size, info.channels, fill),
              images, model_dir, config)

    def load(self, model_dir: str | os.PathLike, device: str = "auto") -> None:
        from inpaint.methods.model_record import trained_architecture
        from inpaint.networks.context_encoder import Generator
        from inpaint.training import LAST_CHECKPOINT, load_checkpoint, resolve_device
        from inpaint.training.checkpoint import load_modules

        # the generator of model.json; a config that changed base or bottleneck is an error
        record = trained_architecture(model_dir, self, self.architecture_keys)
        size, channels = int(record["image_size"][0]), int(record["channels"])
        path = Path(model_dir) / LAST_CHECKPOINT
        ckpt = load_checkpoint(path, expected={
            "method": self.model_owner(), "image_size": [size, size], "channels": channels,
            "config_hash": record["config_hash"]})
        hp = record["hparams"]
        generator = Generator(size, channels, hp["base"], hp["bottleneck"])
        states = {k: v for k, v in ckpt["modules"].items() if k == "generator"}
        load_modules(path, {"generator": generator}, states)
        self._device = resolve_device(device)
        self._generator = generator.to(self._device).eval()

    def predict(self, images: np.ndarray, known: np.ndarray) -> np.ndarray:
        import torch

        if self._generator is None:
            raise InpaintError(f"method {self.name!r}: load() a trained model before predicting")
        net, dev = self._generator, self._device
        out = []
        with torch.no_grad():
            for start in range(0, len(images), 256):
                x = torch.from_numpy(np.ascontiguousarray(images[start:start + 256]))
                k = torch.from_numpy(known[start:start + 256, None].astype(np.float32))
                x = x.permute(0, 3, 1, 2).to(dev, torch.float32)
                out.append(_predict(net, x, k.to(dev)).permute(0, 2, 3, 1).cpu())
        return torch.cat(out).numpy().astype(np.float32)


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


@functools.cache
def _system_class():
    """The TrainingSystem subclass, defined on first use so importing this module stays
    free of torch."""
    import torch

    from inpaint.networks.context_encoder import (
        Generator,
        PatchDiscriminator,
        RegionDiscriminator,
        crop_regions,
        hole_boxes,
    )
    from inpaint.training import TrainingSystem, derive_seed
    from inpaint.training.masks import mixture_masks, to_tensor

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
            known = self.masks(len(batch), derive_seed(rt.seed, _MASK_STREAM, step))
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
            known = self.masks(len(batch), derive_seed(self.runtime.seed, _SAMPLE_STREAM))
            pred = g(batch, known).float()
            return torch.cat([batch, g.masked_input(batch, known),
                              batch * known + pred * (1 - known)])

    return ContextEncoderSystem
