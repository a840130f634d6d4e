"""Partial-convolution U-Net (Liu et al. 2018) and its plain-convolution ablation.

``pconv``: a U-Net of partial convolutions with a mask update in every layer, trained on
irregular free-form masks with L_valid + 6 L_hole + 0.1 L_tv, plus 0.05 L_perc +
120 (L_style_out + L_style_comp) when VGG16 ImageNet weights are on disk (the config's
``vgg16_weights`` or torchvision's cache); without them the run says so, records
``perceptual_loss: "off: <reason>"`` in model.json and the checkpoint, and trains
without those terms (never with random VGG weights). Adam 2e-4, then an optional
fine-tune (``finetune_steps``, the last steps of ``steps``) at 5e-5 with encoder
batch norm frozen. No post-processing: the output is composited with the known pixels.

``pconv_plainconv``: the same U-Net with ordinary convolutions, given the image with its
holes filled with the dataset mean plus the mask channel (the paper's "Conv" ablation).

Architecture knobs: ``base_channels`` (paper 64), ``depth`` (default from the image
size: 32 px -> 5 levels, 512 px -> the paper's 8), ``kernels`` (encoder kernel sizes,
default the paper's 7, 5, 5, 3, ...). Training masks: irregular strokes over the whole
hole-ratio range (``mask_kinds``/``mask_params`` as in inpaint.training.masks), drawn
once as a pool of ``mask_pool`` masks and reused with random flips, transposes and
circular shifts (0: fresh masks every step; the stroke generator is slow on a CPU).

Torch is imported inside fit/load/predict (``inpaint.methods.pconv_system``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import numpy as np

from inpaint.errors import InpaintError
from inpaint.masks import check_params
from inpaint.methods.base import InpaintMethod
from inpaint.methods.registry import register_method

# basename of torchvision.models.VGG16_Weights.IMAGENET1K_V1.url (a test checks it)
VGG16_WEIGHTS = "vgg16-397923af.pth"
NO_FLIP_KINDS = ("fonts", "chars74k")  # mirrored characters are other (or no) characters


def vgg16_weights_status(path: str | None, enabled: bool = True) -> tuple[Path | None, str]:
    """(weight file or None, "on: ..." / "off: <reason>") for the perceptual and style losses.

    An explicit ``path`` must exist; otherwise torchvision's cache is looked up
    ($TORCH_HOME/hub/checkpoints/vgg16-397923af.pth) without importing torch.
    """
    from inpaint.metrics import torch_hub_dir

    if not enabled:
        return None, "off: disabled in the config (perceptual: false)"
    if path is not None:
        file = Path(path).expanduser()
        if not file.is_file():
            raise InpaintError(f"vgg16_weights: no such file {file}")
        return file, f"on: VGG16 ImageNet weights {file}"
    file = torch_hub_dir() / "checkpoints" / VGG16_WEIGHTS
    if file.is_file():
        return file, f"on: VGG16 ImageNet weights {file} (torchvision cache)"
    return None, (f"off: no VGG16 ImageNet weights (neither vgg16_weights in the config nor "
                  f"{file}); trained without L_perc and L_style")


@register_method("pconv")
class PConv(InpaintMethod):
    """Partial-convolution U-Net (Liu et al. 2018), irregular holes, no post-processing."""

    learned = True
    partial: ClassVar[bool] = True

    def __init__(self, steps: int = 1500, batch_size: int = 16, checkpoint_every: int = 500,
                 sample_every: int = 500, log_every: int = 50, flip: bool = True,
                 base_channels: int = 32, depth: int | None = None,
                 kernels: list[int] | None = None, lr: float = 2e-4,
                 finetune_steps: int = 0, finetune_lr: float = 5e-5, w_valid: float = 1.0,
                 w_hole: float = 6.0, w_tv: float = 0.1, w_perc: float = 0.05,
                 w_style: float = 120.0, perceptual: bool = True,
                 vgg16_weights: str | None = None, mask_kinds: list[str] | None = None,
                 mask_params: dict | None = None, mask_pool: int = 2048) -> None:
        mask_kinds = list(mask_kinds or ["irregular"])
        mask_params = dict(mask_params or {})
        super().__init__(
            steps=steps, batch_size=batch_size, checkpoint_every=checkpoint_every,
            sample_every=sample_every, log_every=log_every, flip=flip,
            base_channels=base_channels, depth=depth, kernels=kernels, lr=lr,
            finetune_steps=finetune_steps, finetune_lr=finetune_lr, w_valid=w_valid,
            w_hole=w_hole, w_tv=w_tv, w_perc=w_perc, w_style=w_style, perceptual=perceptual,
            vgg16_weights=vgg16_weights,
            mask_kinds=mask_kinds, mask_params=mask_params, mask_pool=mask_pool,
        )
        key = f"methods.{self.name}"
        if not isinstance(finetune_steps, int) or not 0 <= finetune_steps < steps:
            raise InpaintError(f"{key}.finetune_steps must be an integer in [0, steps), "
                               f"got {finetune_steps!r}")
        if not isinstance(base_channels, int) or base_channels < 1:
            raise InpaintError(f"{key}.base_channels must be a positive integer")
        if not isinstance(mask_pool, int) or mask_pool < 0:
            raise InpaintError(f"{key}.mask_pool must be an integer >= 0 (0: fresh masks "
                               f"every step), got {mask_pool!r}")
        if lr <= 0 or finetune_lr <= 0:
            raise InpaintError(f"{key}: lr and finetune_lr must be positive")
        unknown = sorted(set(mask_params) - set(mask_kinds))
        if unknown:
            raise InpaintError(f"{key}.mask_params: {unknown} not in mask_kinds {mask_kinds}")
        for kind in mask_kinds:
            check_params(f"{key}.mask_params.{kind}", {"kind": kind, **mask_params.get(kind, {})})
        self._model = None

    def fit(self, data_dir: str | os.PathLike, model_dir: str | os.PathLike, **engine) -> None:
        from inpaint.methods.pconv_system import fit_pconv

        fit_pconv(self, data_dir, model_dir, engine)

    def load(self, model_dir: str | os.PathLike, device: str = "auto") -> None:
        from inpaint.methods.pconv_system import load_pconv

        self._model = load_pconv(self, model_dir, device)

    def predict(self, images: np.ndarray, known: np.ndarray) -> np.ndarray:
        if self._model is None:
            raise InpaintError(f"method {self.name!r}: load() a trained model before predicting")
        return self._model.predict(images, known)


@register_method("pconv_plainconv")
class PConvPlainConv(PConv):
    """Ablation of pconv: the same U-Net with ordinary convolutions (mean-filled input + mask)."""

    partial: ClassVar[bool] = False
