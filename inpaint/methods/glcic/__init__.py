"""Globally and Locally Consistent Image Completion (Iizuka et al. 2017).

``glcic``: a dilated-convolution completion network trained against a global
(whole image) and a local (patch around the hole) discriminator in the paper's
three phases: completion network with the hole MSE only (18% of the steps),
discriminators only (2%), then both with MSE + alpha * GAN, alpha = 0.0004 (80%).
Training holes: ``train_masks``, a mixture of the evaluation's mask kinds
(inpaint.masks.mixture: a list of ``{kind, weight, <parameters>}``); the default is every
evaluation kind of the embedded config (center, box, irregular, pixels) equally weighted;
the paper's is one box of 96-128 px at 256,
``[{kind: box, max_boxes: 1, min_side: 0.375, max_side: 0.5}]``.
The local discriminator sees a patch of half the image side centred on the
bounding box of the whole hole, shifted inside the image (``patch_origins``).
Optimiser: ``adadelta`` (the paper's) or ``adam`` (the default: in the short CPU
budget it reached a lower loss; measured on the validation split). Images are
flipped only when the dataset is not characters (fonts, chars74k).

Completion is post-processed as the authors' code does, with the band scaled to
the image (``postprocess``). Their inpaint.lua (satoshiiizuka/siggraph2017_inpainting,
commit ac518ac, lines 72-101; the later freeform commit 15c5519 keeps the same two
calls) fills the hole by fast marching, ``cv.inpaint{..., inpaintRadius=1,
flags=cv.INPAINT_TELEA}`` (line 96), then ``cv.seamlessClone{src=<network output
composited into the image>, dst=<that Telea fill>, mask=<the hole>,
flags=cv.NORMAL_CLONE}`` (line 98). OpenCV's seamless cloning erodes the mask with a
3x3 kernel 3 times before the Poisson solve (opencv/opencv
modules/photo/src/seamless_cloning_impl.cpp, ``Cloning::computeDerivatives``:
``erode(binaryMask, binaryMask, Kernel, Point(-1,-1), 3)``), so the hole pixels within
3 px (chessboard) of a known pixel keep the Telea fill and the rest of the hole takes
the gradients of the network output. The authors' network was trained at 256 px
(shorter sides 256-384), where those 3 px are about 1% of the side; here the band is
``classical_band`` px at 256 px scaled by (shorter side) / 256: a hole pixel keeps the
classical fill iff its chessboard distance to the nearest known pixel is at most
``classical_band * side / 256`` (3 px at 256, 1.5 at 128, 0.375 at 32, i.e. none:
at the default 32 px glcic is the network output Poisson-blended into the known
pixels). The Poisson blend is an exact sparse solve (inpaint.poisson) with the
network output as the source over the hole and the known pixels plus the band as
the boundary. Not reproduced: seamlessClone also zeroes the mask's 1-px image border
and fixes the hole's bounding-rectangle ring (artefacts of its rectangular DST
solver, 1 px at any size). ``classical_fraction`` gives, per image, the share of hole
pixels that keep the classical fill. The settings are recorded in model.json
(key ``postprocess``, :func:`record_postprocess`). Band choices were measured on the
validation split (benchmarks/glcic_band.py; README "GLCIC at 32 px"): at 32 px the
scaled band (no pixel) has the best mean hole PSNR and SSIM over both datasets and
the four mask sets (18.10 dB vs 17.13 for the former 1 px band, which kept Telea on
81% of a pixels-mask hole).

``glcic_raw``: the same trained model (``shares_model_with = "glcic"``), scored
without post-processing.

Layout: ``network`` (completion network, discriminator), ``system`` (training: losses,
optimisers, the phases), ``schedule`` (phases, patch windows), ``postprocess`` (torch-free).
Torch is imported inside the LearnedMethod hooks only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from inpaint.errors import InpaintError
from inpaint.methods.glcic.postprocess import (  # noqa: F401  (public API of the method)
    AUTHORS_BAND,
    TELEA_RADIUS,
    band_width,
    classical_fraction,
    classical_pixels,
    postprocess,
    postprocess_record,
    record_postprocess,
)
from inpaint.methods.glcic.schedule import (  # noqa: F401
    PAPER_PHASE_RATIOS,
    patch_origins,
    phase_at,
    phase_lengths,
)
from inpaint.methods.learned import LearnedMethod
from inpaint.methods.registry import register_method

OPTIMIZERS = ("adadelta", "adam")


@register_method("glcic")
class GLCIC(LearnedMethod):
    """Globally and Locally Consistent Image Completion (Iizuka 2017), with post-processing."""

    raw_output: ClassVar[bool] = False
    architecture_keys: ClassVar[tuple[str, ...]] = ("width", "downsamples", "dilations")
    predict_chunk: ClassVar[int | None] = None  # the whole batch in one forward pass

    def __init__(self, steps: int = 600, batch_size: int = 32, checkpoint_every: int = 200,
                 sample_every: int = 200, log_every: int = 20, flip: bool = True,
                 width: int = 16, d_width: int = 16, downsamples: int = 2,
                 dilations: Sequence[int] = (2, 4, 8, 16), alpha: float = 0.0004,
                 completion_steps: int | None = None, discriminator_steps: int | None = None,
                 optimizer: str = "adam", lr: float | None = None,
                 train_masks: list[dict] | None = None, postprocess: bool | None = None,
                 classical_band: float = AUTHORS_BAND) -> None:
        train_masks = self.train_mask_mixture(train_masks)
        if isinstance(dilations, str | bytes) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in dilations):
            raise InpaintError(f"methods.{self.name}.dilations must be a list of positive "
                               f"integers, got {dilations!r}")
        dilations = list(dilations)
        super().__init__(
            steps=steps, batch_size=batch_size, checkpoint_every=checkpoint_every,
            sample_every=sample_every, log_every=log_every, flip=flip, width=width,
            d_width=d_width, downsamples=downsamples, dilations=dilations, alpha=alpha,
            completion_steps=completion_steps, discriminator_steps=discriminator_steps,
            optimizer=optimizer, lr=lr, train_masks=train_masks, postprocess=postprocess,
            classical_band=classical_band,
        )
        key = f"methods.{self.name}"
        for name in ("steps", "width", "d_width"):
            value = self.params[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InpaintError(f"{key}.{name} must be a positive integer, got {value!r}")
        if isinstance(downsamples, bool) or not isinstance(downsamples, int) \
                or not 0 <= downsamples <= 4:
            raise InpaintError(f"{key}.downsamples must be an integer in 0..4, got {downsamples!r}")
        if optimizer not in OPTIMIZERS:
            raise InpaintError(f"{key}.optimizer must be one of {', '.join(OPTIMIZERS)}, "
                               f"got {optimizer!r}")
        if lr is not None and not lr > 0:
            raise InpaintError(f"{key}.lr must be positive, got {lr!r}")
        if isinstance(classical_band, bool) or not isinstance(classical_band, int | float) \
                or not 0 <= classical_band < float("inf"):
            raise InpaintError(f"{key}.classical_band must be a number >= 0 (px at 256 px), "
                               f"got {classical_band!r}")
        if alpha < 0:
            raise InpaintError(f"{key}.alpha must be >= 0, got {alpha!r}")
        tc, td = phase_lengths(steps, completion_steps, discriminator_steps)
        if tc < 0 or td < 0 or tc + td > steps:
            raise InpaintError(f"{key}: completion_steps ({tc}) + discriminator_steps ({td}) "
                               f"must be non-negative and at most steps ({steps})")
        if postprocess and self.raw_output:
            raise InpaintError(f"{key}: {self.name} scores the raw network output; "
                               "use glcic for post-processing")
        self.postprocess = (not self.raw_output) if postprocess is None else bool(postprocess)

    def lr_value(self) -> float:
        """The learning rate: ``lr``, else 1.0 for ADADELTA (its default) and 1e-3 for Adam."""
        lr = self.params["lr"]
        return float(lr) if lr is not None else (1.0 if self.params["optimizer"] == "adadelta"
                                                 else 1e-3)

    def hparams(self, info) -> dict[str, Any]:
        p = self.params
        tc, td = phase_lengths(p["steps"], p["completion_steps"], p["discriminator_steps"])
        return {
            "width": p["width"], "d_width": p["d_width"], "downsamples": p["downsamples"],
            "dilations": list(p["dilations"]), "alpha": float(p["alpha"]),
            "completion_steps": tc, "discriminator_steps": td, "optimizer": p["optimizer"],
            "lr": self.lr_value(), "train_masks": list(p["train_masks"]),
        }

    def check_data(self, info, data_dir: str | os.PathLike) -> None:
        size, factor = info.size, 2 ** self.params["downsamples"]
        patch = size // 2
        if size % factor or patch < 8 or patch & (patch - 1):
            raise InpaintError(
                f"methods.{self.name}: image size {size} of {data_dir} does not fit: glcic needs "
                f"a power of two >= 16 (local patch = half the side) divisible by "
                f"2**downsamples = {factor}"
            )

    def make_system(self, runtime, hp, info, config):
        from inpaint.methods.glcic.system import GLCICSystem

        return GLCICSystem(runtime, hp, info.channels, info.size, info.mean)

    def after_training(self, model_dir: str | os.PathLike, info, config) -> None:
        from inpaint.training.distributed import current

        if current().main:  # rank 0 wrote model.json: add the post-processing to it
            record_postprocess(model_dir, info.size, self.params["classical_band"])

    def build_networks(self, hp, size: int, channels: int) -> dict:
        from inpaint.methods.glcic.network import build_net

        return {"completion": build_net(hp, channels)}

    def forward(self, x, known):
        return self.networks["completion"](x.contiguous(), known)

    def predict(self, images: np.ndarray, known: np.ndarray) -> np.ndarray:
        raw = super().predict(images, known)
        if not self.postprocess:
            return raw
        return postprocess(images, known, raw, float(self.params["classical_band"]))


@register_method("glcic_raw")
class GLCICRaw(GLCIC):
    """GLCIC's raw network output (the glcic model, no fast marching / Poisson blending)."""

    raw_output: ClassVar[bool] = True
    shares_model_with: ClassVar[str | None] = "glcic"
