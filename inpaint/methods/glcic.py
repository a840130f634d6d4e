"""Globally and Locally Consistent Image Completion (Iizuka et al. 2017).

``glcic``: a dilated-convolution completion network trained against a global
(whole image) and a local (patch around the hole) discriminator in the paper's
three phases: completion network with the hole MSE only (18% of the steps),
discriminators only (2%), then both with MSE + alpha * GAN, alpha = 0.0004 (80%).
Training holes: ``train_masks``, a mixture of the evaluation's mask kinds
(inpaint.mask_mixture: a list of ``{kind, weight, <parameters>}``); the default is every
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

Torch is imported inside fit/load/predict (``inpaint.methods.glcic_system``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from inpaint.errors import InpaintError
from inpaint.mask_mixture import DEFAULT_MIXTURE, check_mixture
from inpaint.methods.base import InpaintMethod, composite, to_uint8
from inpaint.methods.registry import register_method

PAPER_PHASE_RATIOS = (0.18, 0.02)  # T_C = 90k and T_D = 10k of 500k iterations
NO_FLIP_KINDS = ("fonts", "chars74k")  # mirrored characters are other (or no) characters
TELEA_RADIUS = 1  # the authors' post-processing calls cv.inpaint with inpaintRadius=1
AUTHORS_BAND = 3.0  # seamlessClone's mask erosion (3x3 kernel, 3 iterations), in px ...
AUTHORS_SIZE = 256  # ... at the authors' training size
OPTIMIZERS = ("adadelta", "adam")


def phase_lengths(steps: int, completion_steps: int | None = None,
                  discriminator_steps: int | None = None) -> tuple[int, int]:
    """(T_C, T_D): the given lengths, or the paper's ratios of ``steps`` where None."""
    tc = round(PAPER_PHASE_RATIOS[0] * steps) if completion_steps is None else completion_steps
    td = round(PAPER_PHASE_RATIOS[1] * steps) if discriminator_steps is None \
        else discriminator_steps
    return int(tc), int(td)


def phase_at(step: int, completion_steps: int, discriminator_steps: int) -> str:
    """The phase of 1-based ``step``: completion (1..T_C), discriminator (..T_C+T_D), joint."""
    if step <= completion_steps:
        return "completion"
    if step <= completion_steps + discriminator_steps:
        return "discriminator"
    return "joint"


def patch_origins(known: np.ndarray, patch: int) -> np.ndarray:
    """Top-left corners (N, 2) of the local discriminator's ``patch`` x ``patch`` windows.

    Each window is centred on the centre of the bounding box of the image's hole
    (all its hole pixels, whatever their shape or count: with several boxes the
    window covers their common centre) and shifted to lie inside the image. No
    hole: the image centre.
    """
    n, h, w = known.shape
    if patch > min(h, w):
        raise ValueError(f"patch {patch} is larger than the image ({h} x {w})")
    out = np.empty((n, 2), dtype=np.int64)
    for i, keep in enumerate(known):
        rows, cols = np.nonzero(~keep)
        if len(rows):
            cy, cx = (rows.min() + rows.max() + 1) / 2, (cols.min() + cols.max() + 1) / 2
        else:
            cy, cx = h / 2, w / 2
        out[i] = (min(max(int(np.floor(cy - patch / 2)), 0), h - patch),
                  min(max(int(np.floor(cx - patch / 2)), 0), w - patch))
    return out


def band_width(shape: tuple[int, ...], classical_band: float = AUTHORS_BAND) -> float:
    """The band in pixels for images of ``shape`` (..., H, W): ``classical_band`` px at
    256 px scaled by min(H, W) / 256."""
    return float(classical_band) * min(shape[-2], shape[-1]) / AUTHORS_SIZE


def classical_pixels(known: np.ndarray, classical_band: float = AUTHORS_BAND) -> np.ndarray:
    """Bool (N, H, W): the hole pixels that keep the classical (Telea) fill.

    A hole pixel keeps it iff its chessboard distance to the nearest known pixel is at
    most :func:`band_width`, i.e. it is not in the hole eroded by a (2k+1)-square,
    k = floor(width), as seamlessClone's erosion (k = 3 at 256 px). Images without a
    known pixel keep nothing (postprocess leaves them to the network).
    """
    import cv2

    known = np.asarray(known, dtype=bool)
    width = band_width(known.shape, classical_band)
    out = np.zeros(known.shape, dtype=bool)
    if width < 1:
        return out
    for i, keep in enumerate(known):
        if keep.all() or not keep.any():
            continue
        dist = cv2.distanceTransform((~keep).astype(np.uint8), cv2.DIST_C, 3)
        out[i] = ~keep & (dist <= width)
    return out


def classical_fraction(known: np.ndarray, classical_band: float = AUTHORS_BAND) -> np.ndarray:
    """Float (N,): per image, the fraction of its hole pixels that keep the classical fill
    (the rest come from the network output); NaN for an image without a hole."""
    known = np.asarray(known, dtype=bool)
    holes = (~known).reshape(len(known), -1).sum(1)
    kept = classical_pixels(known, classical_band).reshape(len(known), -1).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(holes > 0, kept / np.maximum(holes, 1), np.nan)


def postprocess_record(size: int, classical_band: float = AUTHORS_BAND) -> dict:
    """What glcic's post-processing does at ``size`` px, for model.json and the tables."""
    return {"classical": f"cv2.inpaint TELEA radius {TELEA_RADIUS}",
            "classical_band_at_256": float(classical_band),
            "band_px": band_width((size, size), classical_band),
            "blend": "Poisson (exact), network output as the source over the hole"}


def record_postprocess(model_dir: str | os.PathLike, size: int,
                       classical_band: float = AUTHORS_BAND) -> None:
    """Add :func:`postprocess_record` to a finished model.json (key ``postprocess``).

    Outside ``hparams`` and so outside the config hash: the band is applied at
    completion time, changing it needs no retraining (the workflow reruns the train
    job on a changed config block, which resumes at its last step and rewrites this).
    """
    import json
    from pathlib import Path

    from inpaint.io import read_json, write_text

    path = Path(model_dir) / "model.json"
    info = read_json(path, "model record")
    info["postprocess"] = postprocess_record(size, classical_band)
    write_text(path, json.dumps(info, indent=2, sort_keys=True, default=str) + "\n")


def postprocess(images: np.ndarray, known: np.ndarray, raw: np.ndarray,
                classical_band: float = AUTHORS_BAND) -> np.ndarray:
    """The authors' post-processing of the network output ``raw`` (N, H, W, C) in [0, 1].

    Hole pixels of :func:`classical_pixels` (within the scaled band of a known pixel)
    take the fast-marching fill (cv2.INPAINT_TELEA, radius 1, on the 8-bit image as the
    authors' code); the rest of the hole is Poisson-blended (inpaint.poisson) from the
    network output's gradients, anchored to the known pixels and the band. With no band
    pixel (``classical_band`` 0, or 3 at 32 px) it is plain Poisson blending of the
    network output into the known pixels. Returns float32 (N, H, W, C), known pixels exact.
    """
    import cv2

    from inpaint.poisson import poisson_blend

    out = composite(images, known, raw)  # known pixels are the image's
    corrupted = to_uint8(out)
    band = classical_pixels(known, classical_band)
    for i, keep in enumerate(known):
        if keep.all() or not keep.any():
            continue
        filled = images[i].astype(np.float64)
        if band[i].any():
            src = corrupted[i][..., 0] if corrupted.shape[3] == 1 else corrupted[i]
            telea = cv2.inpaint(src, (~keep).astype(np.uint8) * 255, TELEA_RADIUS,
                                cv2.INPAINT_TELEA)
            filled = np.where(band[i][..., None],
                              telea.reshape(images[i].shape).astype(np.float64) / 255.0, filled)
        out[i] = np.clip(poisson_blend(filled, raw[i], keep | band[i]), 0.0, 1.0)
    return out


@register_method("glcic")
class GLCIC(InpaintMethod):
    """Globally and Locally Consistent Image Completion (Iizuka 2017), with post-processing."""

    learned = True
    raw_output: ClassVar[bool] = False
    architecture_keys: ClassVar[tuple[str, ...]] = ("width", "downsamples", "dilations")

    def __init__(self, steps: int = 600, batch_size: int = 32, checkpoint_every: int = 200,
                 sample_every: int = 200, log_every: int = 20, flip: bool = True,
                 width: int = 16, d_width: int = 16, downsamples: int = 2,
                 dilations: Sequence[int] = (2, 4, 8, 16), alpha: float = 0.0004,
                 completion_steps: int | None = None, discriminator_steps: int | None = None,
                 optimizer: str = "adam", lr: float | None = None,
                 train_masks: list[dict] | None = None, postprocess: bool | None = None,
                 classical_band: float = AUTHORS_BAND) -> None:
        train_masks = check_mixture(f"methods.{self.name}.train_masks",
                                    DEFAULT_MIXTURE if train_masks is None else train_masks)
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
        self._model = None

    def lr_value(self) -> float:
        """The learning rate: ``lr``, else 1.0 for ADADELTA (its default) and 1e-3 for Adam."""
        lr = self.params["lr"]
        return float(lr) if lr is not None else (1.0 if self.params["optimizer"] == "adadelta"
                                                 else 1e-3)

    def fit(self, data_dir: str | os.PathLike, model_dir: str | os.PathLike, **engine) -> None:
        from inpaint.methods.glcic_system import fit_glcic

        fit_glcic(self, data_dir, model_dir, engine)

    def load(self, model_dir: str | os.PathLike, device: str = "auto") -> None:
        from inpaint.methods.glcic_system import load_glcic

        self._model = load_glcic(self, model_dir, device)

    def predict(self, images: np.ndarray, known: np.ndarray) -> np.ndarray:
        if self._model is None:
            raise InpaintError(f"method {self.name!r}: load() a trained model before predicting")
        raw = self._model.predict(images, known)
        if not self.postprocess:
            return raw
        return postprocess(images, known, raw, float(self.params["classical_band"]))


@register_method("glcic_raw")
class GLCICRaw(GLCIC):
    """GLCIC's raw network output (the glcic model, no fast marching / Poisson blending)."""

    raw_output: ClassVar[bool] = True
    shares_model_with: ClassVar[str | None] = "glcic"
