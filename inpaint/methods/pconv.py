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
``loss_terms``); the tables then footnote its rows (inpaint.loss_notes). Never random VGG
weights. Adam 2e-4, then fine-tuning at ``finetune_lr`` 5e-5 with encoder batch norm frozen
for the last ``finetune_steps`` steps (default: the last third, :data:`FINETUNE_SHARE`;
0 turns it off). No post-processing: the output is composited with the known pixels.

``pconv_plainconv``: the same U-Net with ordinary convolutions, given the image with its
holes filled with the dataset mean plus the mask channel (the paper's "Conv" ablation),
trained with the same loss and schedule.

Architecture knobs: ``base_channels`` (paper 64), ``depth`` (default from the image
size: 32 px -> 5 levels, 512 px -> the paper's 8), ``kernels`` (encoder kernel sizes,
default the paper's 7, 5, 5, 3, ...). Training masks: ``train_masks``, a mixture of the
evaluation's mask kinds (inpaint.mask_mixture: a list of ``{kind, weight, <parameters>}``;
default every evaluation kind of the embedded config, center, box, irregular and pixels,
equally weighted; the paper's: irregular strokes, ``[{kind: irregular}]``), drawn
once as a pool of ``mask_pool`` masks and reused with random flips, transposes and
circular shifts (center masks are not shifted; 0: fresh masks every step; the stroke
generator is slow on a CPU).

Torch is imported inside fit/load/predict (``inpaint.methods.pconv_system``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import numpy as np

from inpaint.errors import InpaintError
from inpaint.mask_mixture import DEFAULT_MIXTURE, check_mixture
from inpaint.methods.base import InpaintMethod
from inpaint.methods.registry import register_method

NO_FLIP_KINDS = ("fonts", "chars74k")  # mirrored characters are other (or no) characters
FINETUNE_SHARE = 1 / 3  # default fine-tuning phase: the last third of the steps
# The paper's loss terms and weights (Liu et al. 2018, eq. 7); model.json records both these
# and the terms a run trained with (inpaint.loss_notes footnotes rows that lack some).
PAPER_LOSS = {"valid": 1.0, "hole": 6.0, "perc": 0.05, "style_out": 120.0,
              "style_comp": 120.0, "tv": 0.1}
VGG_TERMS = ("perc", "style_out", "style_comp")


def finetune_steps(value: int | None, steps: int) -> int:
    """Steps of the fine-tuning phase: ``value``, or :data:`FINETUNE_SHARE` of ``steps``."""
    return int(steps * FINETUNE_SHARE) if value is None else value


def loss_weights(params: dict) -> dict[str, float]:
    """Weight of every paper loss term in a method's hyper-parameters (0: not trained)."""
    return {"valid": params["w_valid"], "hole": params["w_hole"], "perc": params["w_perc"],
            "style_out": params["w_style"], "style_comp": params["w_style"],
            "tv": params["w_tv"]}


def wants_vgg(params: dict) -> bool:
    """Whether the perceptual or style terms are asked for (and so VGG16 weights needed)."""
    return bool(params["perceptual"]) and any(loss_weights(params)[t] for t in VGG_TERMS)


def vgg16_weights_status(path: str | None, enabled: bool = True) -> tuple[Path | None, str]:
    """(weight file or None, "on: ..." / "off: <reason>") for the perceptual and style losses.

    An explicit ``path`` must exist; otherwise torchvision's cache, then the converted
    resources/pretrained/vgg16_imagenet.pt (inpaint.pretrained.imagenet.resolve_path),
    without importing torch.
    """
    from inpaint.pretrained.imagenet import resolve_path

    if not enabled:
        return None, ("off: disabled in the config (perceptual: false or w_perc = "
                      "w_style = 0)")
    if path is not None:
        file = Path(path).expanduser()
        if not file.is_file():
            raise InpaintError(f"vgg16_weights: no such file {file}")
        return file, f"on: VGG16 ImageNet weights {file}"
    file = resolve_path("vgg16")
    if file.is_file():
        return file, f"on: VGG16 ImageNet weights {file}"
    return None, (f"off: no VGG16 ImageNet weights (neither vgg16_weights in the config nor "
                  f"{file}; make it with `inpaint fetch-weights imagenet`); trained without "
                  f"L_perc and L_style")


@register_method("pconv")
class PConv(InpaintMethod):
    """Partial-convolution U-Net (Liu et al. 2018), irregular holes, no post-processing."""

    learned = True
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
        train_masks = check_mixture(f"methods.{self.name}.train_masks",
                                    DEFAULT_MIXTURE if train_masks is None else train_masks)
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
        self._model = None

    @classmethod
    def pretrained_inputs(cls, params: dict) -> list[str]:
        """The VGG16 weight file training reads (none with the VGG terms turned off)."""
        from inpaint.pretrained.imagenet import resolve_path

        hp = cls(**params).params
        return [str(resolve_path("vgg16", hp["vgg16_weights"]))] if wants_vgg(hp) else []

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
