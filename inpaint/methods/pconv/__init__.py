"""Partial-convolution U-Net (Liu et al. 2018) and its plain-convolution ablation.

``pconv``: a U-Net of partial convolutions with a mask update in every layer, trained on
irregular free-form masks with the paper's full loss by default:
L_valid + 6 L_hole + 0.05 L_perc + 120 (L_style_out + L_style_comp) + 0.1 L_tv
(``w_valid``, ``w_hole``, ``w_perc``, ``w_style``, ``w_tv``; a weight of 0 drops its term).
L_perc and L_style use ImageNet VGG16 pool1-3 features (inpaint.pretrained.vgg: the
config's ``vgg16_weights``, else torchvision's cached file, else
resources/pretrained/vgg16_imagenet.pt, which the workflow makes before training). With
``perceptual: false``, or when no weight file exists outside the workflow, the run trains
without them, says so on stderr and records it in model.json (``perceptual_loss``,
``loss_terms``); the tables then footnote its rows (inpaint.evaluation.loss_notes). Never random VGG
weights. Adam 2e-4, then fine-tuning at ``finetune_lr`` 5e-5 with encoder batch norm frozen
for the last ``finetune_steps`` steps (default: the last third, :data:`FINETUNE_SHARE`;
0 turns it off). No post-processing: the output is composited with the known pixels.

``pconv_plainconv``: the same U-Net with ordinary convolutions, given the image with its
holes filled with the dataset mean plus the mask channel (the paper's "Conv" ablation),
trained with the same loss and schedule.

Architecture knobs: ``base_channels`` (paper 64), ``depth`` (default from the image
size: 32 px -> 5 levels, 512 px -> the paper's 8), ``kernels`` (encoder kernel sizes,
default the paper's 7, 5, 5, 3, ...). Training masks: ``train_masks``, a mixture of the
evaluation's mask kinds (inpaint.masks.mixture: a list of ``{kind, weight, <parameters>}``;
default every evaluation kind of the embedded config, center, box, irregular and pixels,
equally weighted; the paper's: irregular strokes, ``[{kind: irregular}]``), drawn
once as a pool of ``mask_pool`` masks and reused with random flips, transposes and
circular shifts (center masks are not shifted; 0: fresh masks every step; the stroke
generator is slow on a CPU).

Layout: ``network`` (the U-Net), ``system`` (losses, optimiser, masks, fine-tuning),
``recipe`` (loss terms, schedule and VGG16 weights, torch-free). Torch is imported inside
the LearnedMethod hooks only.
"""

from __future__ import annotations

import os
import sys
from typing import ClassVar

import numpy as np

from inpaint.errors import InpaintError
from inpaint.methods.learned import LearnedMethod
from inpaint.methods.pconv.recipe import (  # noqa: F401  (public API of the method)
    FINETUNE_SHARE,
    PAPER_LOSS,
    VGG_TERMS,
    loss_weights,
    training_record,
    vgg16_weights_status,
    wants_vgg,
)
from inpaint.methods.registry import register_method


@register_method("pconv")
class PConv(LearnedMethod):
    """Partial-convolution U-Net (Liu et al. 2018), irregular holes, no post-processing."""

    partial: ClassVar[bool] = True
    architecture_keys: ClassVar[tuple[str, ...]] = ("base_channels", "depth", "kernels")

    def __init__(self, steps: int = 1500, batch_size: int = 16, checkpoint_every: int = 500,
                 sample_every: int = 500, log_every: int = 50, flip: bool = True,
                 base_channels: int = 32, depth: int | None = None,
                 kernels: list[int] | None = None, lr: float = 2e-4,
                 finetune_steps: int | None = None, finetune_lr: float = 5e-5,
                 w_valid: float = 1.0, w_hole: float = 6.0, w_tv: float = 0.1, w_perc: float = 0.05,
                 w_style: float = 120.0, perceptual: bool = True,
                 vgg16_weights: str | None = None, train_masks: list[dict] | None = None,
                 mask_pool: int = 2048) -> None:
        train_masks = self.train_mask_mixture(train_masks)
        super().__init__(
            steps=steps, batch_size=batch_size, checkpoint_every=checkpoint_every,
            sample_every=sample_every, log_every=log_every, flip=flip,
            base_channels=base_channels, depth=depth, kernels=kernels, lr=lr,
            finetune_steps=finetune_steps, finetune_lr=finetune_lr, w_valid=w_valid,
            w_hole=w_hole, w_tv=w_tv, w_perc=w_perc, w_style=w_style, perceptual=perceptual,
            vgg16_weights=vgg16_weights,
            train_masks=train_masks, mask_pool=mask_pool,
        )
        key = f"methods.{self.name}"
        if finetune_steps is not None and (isinstance(finetune_steps, bool) or not isinstance(
                finetune_steps, int) or not 0 <= finetune_steps < steps):
            raise InpaintError(f"{key}.finetune_steps must be an integer in [0, steps) or null "
                               f"(the last {FINETUNE_SHARE:.3g} of the steps), "
                               f"got {finetune_steps!r}")
        for name in ("w_valid", "w_hole", "w_tv", "w_perc", "w_style"):
            weight = self.params[name]
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
                raise InpaintError(f"{key}.{name} must be a number >= 0, got {weight!r}")
        if not isinstance(base_channels, int) or base_channels < 1:
            raise InpaintError(f"{key}.base_channels must be a positive integer")
        if not isinstance(mask_pool, int) or mask_pool < 0:
            raise InpaintError(f"{key}.mask_pool must be an integer >= 0 (0: fresh masks "
                               f"every step), got {mask_pool!r}")
        if lr <= 0 or finetune_lr <= 0:
            raise InpaintError(f"{key}: lr and finetune_lr must be positive")
        self.perceptual: tuple | None = None  # (VGG16 weight file or None, status) of a fit

    @classmethod
    def pretrained_inputs(cls, params: dict) -> list[str]:
        """The VGG16 weight file training reads (none with the VGG terms turned off)."""
        from inpaint.pretrained.imagenet import resolve_path

        hp = cls(**params).params
        return [str(resolve_path("vgg16", hp["vgg16_weights"]))] if wants_vgg(hp) else []

    # ---- training ---------------------------------------------------------------------------
    def check_data(self, info, data_dir: str | os.PathLike) -> None:
        """Resolve the VGG16 weights of the perceptual and style terms (or say on stderr
        that this run trains without them)."""
        self.perceptual = vgg16_weights_status(self.params["vgg16_weights"],
                                               wants_vgg(self.params))
        if self.perceptual[0] is None:
            print(f"{self.name}: perceptual and style losses {self.perceptual[1]}",
                  file=sys.stderr, flush=True)

    def make_system(self, runtime, hp, info, config):
        from inpaint.methods.pconv.system import PConvSystem

        vgg_path, status = self.perceptual
        return PConvSystem(runtime, channels=info.channels, size=info.size,
                           partial=self.partial, hp=hp, steps=config.steps, fill=info.mean,
                           vgg_path=vgg_path, perceptual_status=status)

    def sample_images(self, data_dir: str | os.PathLike, images: np.ndarray, config):
        """The first validation images (training images when there is no validation split)."""
        from inpaint.data.store import load_split

        _, val = load_split(data_dir, "val")
        return (val if len(val) else images)[:config.n_samples]

    def after_training(self, model_dir: str | os.PathLike, info, config) -> None:
        """Add the loss terms and schedule trained (:func:`training_record`) to model.json."""
        import json
        from pathlib import Path

        from inpaint.io import read_json, write_text
        from inpaint.training import MODEL_JSON
        from inpaint.training.distributed import current

        if not current().main:
            return
        path = Path(model_dir) / MODEL_JSON
        record = read_json(path, "model record")
        record.update(training_record(self.params, config.steps, *self.perceptual))
        write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")

    # ---- completion -------------------------------------------------------------------------
    def build_networks(self, hp, size: int, channels: int) -> dict:
        from inpaint.methods.pconv.network import build_unet

        return {"unet": build_unet(hp, channels, size, self.partial)}

    def to_device(self, net, device):
        import torch

        return net.to(device, memory_format=torch.channels_last)

    def forward(self, x, known):
        import torch

        return self.networks["unet"](x.contiguous(memory_format=torch.channels_last), known)


@register_method("pconv_plainconv")
class PConvPlainConv(PConv):
    """Ablation of pconv: the same U-Net with ordinary convolutions (mean-filled input + mask)."""

    partial: ClassVar[bool] = False
