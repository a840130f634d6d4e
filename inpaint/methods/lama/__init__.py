"""LaMa: Resolution-robust Large Mask Inpainting with Fourier Convolutions (Suvorov et al.
2022, WACV), after the authors' code (advimman/lama, commit
786f5936b27fb3dacd2b1ad799e4de968ea697e7; module docstrings of ``network`` and ``system``
name the files).

``lama``: an FFC-ResNet generator (the image with its hole zeroed plus the hole mask in;
``n_downsampling`` strided convolutions, ``n_blocks`` fast-Fourier-convolution residual
blocks with 75% global channels whose spectral transform is rfft2 -> 1x1 conv + BN + ReLU
-> irfft2, transposed convolutions up, sigmoid out) trained against a PatchGAN (NLayer)
discriminator with the paper's loss: L1 on the known pixels (``w_l1_known`` 10,
``w_l1_missing`` 0), non-saturating adversarial (``w_adv`` 10) with the R1 penalty
(``gp_coef`` 0.001), discriminator feature matching (``w_fm`` 100) and the perceptual loss
of a high-receptive-field network (``w_perc``: 30 with ``perceptual: hrf``); Adam 1e-3
(generator) and 1e-4 (discriminator), gradient norms clipped at ``grad_clip`` 1.

The paper's HRF network is an ADE20k-segmentation dilated ResNet50 that cannot be had
offline: ``perceptual: vgg16`` (default) uses the project's ImageNet VGG16 pool1-3 features
with ``w_perc`` 0.03 by default, the authors' weight for their VGG perceptual loss
(``configs/training/ablv2_work_no_segmpl_vgg.yaml``; ResNetPL's 30 on these VGG features
made the term hundreds of times the sum of the others at 32 px, measured), its file from
inpaint.pretrained.vgg ( ``vgg16_weights``, else torchvision's cached file, else
resources/pretrained/vgg16_imagenet.pt, which the workflow makes before training; with no
file outside the workflow the run trains without the term and says so); ``perceptual: hrf``
with ``hrf_network: <path>`` loads your own network (TorchScript, or a torchvision
ResNet50 state dict, read without unpickling, run dilated as LaMa's
``resnet50dilated``; ImageNet-normalised inputs, its output feature maps compared);
``perceptual: none`` drops the term. model.json records the network used
(``perceptual_network``) and the loss terms beside the paper's, so the tables footnote the
rows (inpaint.evaluation.loss_notes).

Training masks: ``train_masks`` (inpaint.masks.mixture), by default LaMa's own thin,
medium and thick generators (inpaint.masks.lama) equally weighted. Completion works at any
image size: the generator pads to a multiple of 2 ** ``n_downsampling`` (symmetric, bottom
and right, as the authors' prediction) and crops back.

The CPU default is small (32 px images): 2 downsamplings, 3 blocks, 16 base channels, a
3-layer discriminator of 16 base channels; the paper's sizes (big-lama: 64 channels, 3
downsamplings, 18 blocks; lama-fourier: 9 blocks; discriminator 64 channels, 4 layers) are
in config/paper/suvorov2022_*.yaml.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import ClassVar

from inpaint.errors import InpaintError
from inpaint.methods.learned import LearnedMethod
from inpaint.methods.registry import register_method

# LaMa's training masks by default: its own thin / medium / thick generators
LAMA_MIXTURE = ({"kind": "lama_thin"}, {"kind": "lama_medium"}, {"kind": "lama_thick"})
PERCEPTUAL = ("vgg16", "hrf", "none")
# configs/training/big-lama.yaml: the paper's loss terms and weights
PAPER_LOSS = {"l1_known": 10.0, "adversarial": 10.0, "r1": 0.001, "feature_matching": 100.0,
              "hrf_perceptual": 30.0}
# the authors' weight for their VGG perceptual loss (configs/training/
# ablv2_work_no_segmpl_vgg.yaml: perceptual.weight 0.03, resnet_pl.weight 0): the default
# w_perc with perceptual: vgg16 (30, resnet_pl's, with hrf)
VGG_WEIGHT = 0.03
PAPER_HRF = ("ADE20k-segmentation dilated ResNet50 encoder (ade20k-resnet50dilated-ppm), "
             "not available offline")


@register_method("lama")
class Lama(LearnedMethod):
    """LaMa (Suvorov et al. 2022): FFC-ResNet generator, PatchGAN with R1, feature matching,
    perceptual loss; completes images of any size."""

    any_size = True
    architecture_keys: ClassVar[tuple[str, ...]] = (
        "ngf", "n_downsampling", "n_blocks", "global_ratio", "max_features")

    def __init__(self, steps: int = 170, batch_size: int = 16, checkpoint_every: int = 85,
                 sample_every: int = 85, log_every: int = 10, flip: bool = True,
                 ngf: int = 16, n_downsampling: int = 2, n_blocks: int = 3,
                 global_ratio: float = 0.75, max_features: int = 1024, ndf: int = 16,
                 d_layers: int = 3, lr: float = 1e-3, d_lr: float = 1e-4,
                 w_l1_known: float = 10.0, w_l1_missing: float = 0.0, w_adv: float = 10.0,
                 gp_coef: float = 0.001, w_fm: float = 100.0, w_perc: float | None = None,
                 grad_clip: float = 1.0, perceptual: str = "vgg16",
                 vgg16_weights: str | None = None, hrf_network: str | None = None,
                 train_masks: list[dict] | None = None) -> None:
        train_masks = self.train_mask_mixture(
            list(LAMA_MIXTURE) if train_masks is None else train_masks)
        if w_perc is None:  # the authors' weight for the perceptual network in use
            w_perc = VGG_WEIGHT if perceptual == "vgg16" else PAPER_LOSS["hrf_perceptual"]
        super().__init__(
            steps=steps, batch_size=batch_size, checkpoint_every=checkpoint_every,
            sample_every=sample_every, log_every=log_every, flip=flip, ngf=ngf,
            n_downsampling=n_downsampling, n_blocks=n_blocks, global_ratio=global_ratio,
            max_features=max_features, ndf=ndf, d_layers=d_layers, lr=lr, d_lr=d_lr,
            w_l1_known=w_l1_known, w_l1_missing=w_l1_missing, w_adv=w_adv, gp_coef=gp_coef,
            w_fm=w_fm, w_perc=w_perc, grad_clip=grad_clip, perceptual=perceptual,
            vgg16_weights=vgg16_weights, hrf_network=hrf_network, train_masks=train_masks)
        key = f"methods.{self.name}"
        for name, low in (("ngf", 1), ("n_downsampling", 1), ("n_blocks", 0),
                          ("max_features", 1), ("ndf", 1), ("d_layers", 1)):
            value = self.params[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InpaintError(f"{key}.{name} must be an integer >= {low}, got {value!r}")
        ratio = self.params["global_ratio"]
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio < 1:
            raise InpaintError(f"{key}.global_ratio must be a number in (0, 1), got {ratio!r}")
        for name in ("lr", "d_lr"):
            value = self.params[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise InpaintError(f"{key}.{name} must be a positive number, got {value!r}")
        for name in ("w_l1_known", "w_l1_missing", "w_adv", "gp_coef", "w_fm", "w_perc",
                     "grad_clip"):
            value = self.params[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InpaintError(f"{key}.{name} must be a number >= 0, got {value!r}")
        if perceptual not in PERCEPTUAL:
            raise InpaintError(f"{key}.perceptual must be one of {', '.join(PERCEPTUAL)}, "
                               f"got {perceptual!r}")
        if perceptual == "hrf" and not hrf_network:
            raise InpaintError(f"{key}.hrf_network: give the file of your HRF network "
                               "(TorchScript, a saved torch module or a ResNet50 state dict) "
                               "with perceptual: hrf")
        if perceptual != "hrf" and hrf_network:
            raise InpaintError(f"{key}.hrf_network is set but perceptual is {perceptual!r}: "
                               "set perceptual: hrf to use it")
        # (kind, file or None, status) of the perceptual network of a fit
        self.perceptual: tuple[str, Path | None, str] | None = None

    # ---- the perceptual network -------------------------------------------------------------
    def wants_perceptual(self) -> bool:
        return self.params["perceptual"] != "none" and bool(self.params["w_perc"])

    @classmethod
    def pretrained_inputs(cls, params: dict) -> list[str]:
        """The VGG16 weight file training reads (with ``perceptual: vgg16``)."""
        from inpaint.pretrained.imagenet import resolve_path

        method = cls(**params)
        if method.wants_perceptual() and method.params["perceptual"] == "vgg16":
            return [str(resolve_path("vgg16", method.params["vgg16_weights"]))]
        return []

    def resolve_perceptual(self) -> tuple[str, Path | None, str]:
        """(network kind, file, "on: ..." / "off: <reason>"), torch-free."""
        from inpaint.pretrained.imagenet import find_weights, resolve_path

        hp = self.params
        if not self.wants_perceptual():
            return "none", None, "off: disabled in the config (perceptual: none or w_perc 0)"
        if hp["perceptual"] == "hrf":
            file = Path(hp["hrf_network"]).expanduser()
            if not file.is_file():
                raise InpaintError(f"methods.{self.name}.hrf_network: no such file {file}")
            return "hrf", file, f"on: user-supplied HRF network {file}"
        file = find_weights("vgg16", hp["vgg16_weights"], f"methods.{self.name}.vgg16_weights")
        if file is None:
            return "none", None, (
                f"off: no VGG16 ImageNet weights (neither vgg16_weights in the config nor "
                f"{resolve_path('vgg16')}; make it with `inpaint fetch-weights imagenet`); "
                f"trained without the perceptual loss")
        return "vgg16", file, (f"on: VGG16 ImageNet pool1-3 features {file} in place of "
                               f"the paper's {PAPER_HRF}")

    def loss_record(self) -> dict:
        """model.json's account of the loss trained, beside the paper's: ``loss_terms`` are
        the paper's terms trained (a user HRF network counts as the HRF term), ``extra_loss_terms``
        those the paper does not have (the VGG16 stand-in, an L1 on the hole), so the
        tables' footnote (inpaint.evaluation.loss_notes) names what is missing and why."""
        from inpaint.io import sha256_file

        kind, file, status = self.perceptual
        hp = self.params
        trained = {"l1_known": hp["w_l1_known"], "adversarial": hp["w_adv"],
                   "r1": hp["gp_coef"], "feature_matching": hp["w_fm"],
                   "hrf_perceptual": hp["w_perc"] if kind == "hrf" else 0}
        extra = {"l1_missing": hp["w_l1_missing"],
                 "perceptual_vgg16": hp["w_perc"] if kind == "vgg16" else 0}
        reasons = []
        if kind == "vgg16":
            reasons.append(f"replaced by a perceptual loss on ImageNet VGG16 pool1-3 features, "
                           f"weight {hp['w_perc']:g}: the paper's {PAPER_HRF}")
        elif kind == "hrf":
            reasons.append(f"HRF network: user-supplied {file}")
        else:
            reasons.append(f"perceptual loss {status}")
        zeroed = [term for term, weight in trained.items()
                  if not weight and term != "hrf_perceptual"]
        if zeroed:
            reasons.append(f"weight 0 in the config: {', '.join(zeroed)}")
        return {
            "perceptual_network": {"kind": kind, "status": status,
                                   "file": None if file is None else str(file),
                                   "sha256": None if file is None else sha256_file(file),
                                   "paper": PAPER_HRF},
            "loss_terms": {name: float(w) for name, w in trained.items() if w},
            "extra_loss_terms": {name: float(w) for name, w in extra.items() if w},
            "paper_loss_terms": dict(PAPER_LOSS),
            "loss_terms_reason": "; ".join(reasons),
        }

    # ---- training ---------------------------------------------------------------------------
    def check_data(self, info, data_dir: str | os.PathLike) -> None:
        self.perceptual = self.resolve_perceptual()
        if self.perceptual[1] is None and self.wants_perceptual():
            print(f"{self.name}: perceptual loss {self.perceptual[2]}", file=sys.stderr,
                  flush=True)

    def make_system(self, runtime, hp, info, config):
        from inpaint.methods.lama.system import LamaSystem

        kind, file, _ = self.perceptual
        return LamaSystem(runtime, hp, info.channels, info.size,
                          None if kind == "none" else (kind, file))

    def after_training(self, model_dir: str | os.PathLike, info, config) -> None:
        """Add the perceptual network and the loss terms trained to model.json."""
        from inpaint.io import read_json, write_text
        from inpaint.training import MODEL_JSON
        from inpaint.training.distributed import current

        if not current().main:
            return
        path = Path(model_dir) / MODEL_JSON
        record = read_json(path, "model record")
        record.update(self.loss_record())
        write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")

    # ---- completion -------------------------------------------------------------------------
    def build_networks(self, hp, size: int, channels: int) -> dict:
        from inpaint.methods.lama.network import build_generator

        return {"generator": build_generator(hp, channels)}

    def check_input(self, images) -> None:
        """Any image size (fully convolutional, padded and cropped back); the channels must
        be the model's."""
        _, channels = self.shape
        if images.ndim != 4 or images.shape[-1] != channels:
            raise InpaintError(f"{self.name}: the model was trained on {channels}-channel "
                               f"images, got shape {'x'.join(map(str, images.shape[1:]))}")

    def forward(self, x, known):
        return self.networks["generator"](x.contiguous(), known)
