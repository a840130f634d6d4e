"""Pixel metrics of a batch on the 8-bit images as floats in [0, 1] (DESIGN §6).

psnr, psnr_hole
    ``10 log10(1 / MSE)``; the MSE is taken over all pixels and channels
    (``psnr``, identical to ``skimage.metrics.peak_signal_noise_ratio(
    data_range=1)``) or over the hole pixels only, all channels
    (``psnr_hole``). An exact reconstruction has MSE 0 and PSNR ``inf``, as in
    skimage: the per-image CSV keeps ``inf`` and the tables clip it
    (:data:`inpaint.evaluation.summary.PSNR_CAP`).
ssim, ssim_hole
    :mod:`inpaint.evaluation.ssim`.
l1, l2, l1_hole, l2_hole
    Mean absolute / squared error on the [0, 1] scale, in percent (x 100),
    over all pixels or over the hole pixels (all channels). Context-Encoder
    re-implementations quote L1/L2 on the [-1, 1] scale: their L1 is 2x and
    their L2 4x ours.
l1_border
    ``l1`` on the hole's border band only: the hole pixels within 2 px
    (chessboard distance) of a known pixel, all channels; NaN when the mask
    has no such pixel. The claims page decides "Poisson blending lowers the
    error at the hole border" on it (:mod:`inpaint.evaluation.claims`).
l1_hole_pm1, l2_hole_pm1
    Optional (``evaluation.pm1_hole``, :func:`add_pm1_hole`): ``l1_hole`` and
    ``l2_hole`` on the [-1, 1] scale, in percent, as Context-Encoder
    re-implementations report Pathak et al.'s mean L1 / L2 (hole only): exactly
    2x and 4x ``l1_hole`` / ``l2_hole``. Their PSNR is our ``psnr_hole``.

A mask without hole pixels gives NaN for every ``*_hole`` metric.
Masks are bool arrays, True = known pixel (``inpaint.io.read_mask``).

Implementation: numpy, vectorised over the batch (cache-sized chunks). On 2
cores, 256 images of 32x32x3 score ~10-12x faster than a per-image skimage loop.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd

from inpaint.errors import InpaintError
from inpaint.evaluation.ssim import SSIM_WIN, ssim_from_stack

PIXEL_COLUMNS = ("psnr", "psnr_hole", "ssim", "ssim_hole", "l1", "l2", "l1_hole", "l2_hole")

# Images per vectorised chunk: ~64k float64 values per array keeps the working
# set in cache (measured fastest here: 16 images of 32x32x3 per chunk).
_CHUNK_ELEMENTS = 1 << 16


# ---------------------------------------------------------------- validation


def _as_batch(images: np.ndarray, name: str) -> np.ndarray:
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"{name} must be uint8, got {images.dtype}")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"{name} must have shape (N, H, W, C), got {images.shape}")
    return images


def check_inputs(reals, completions, known):
    reals = _as_batch(reals, "reals")
    completions = _as_batch(completions, "completions")
    if reals.shape != completions.shape:
        raise ValueError(
            f"reals {reals.shape} and completions {completions.shape} differ in shape"
        )
    known = np.asarray(known)
    if known.ndim == 4 and known.shape[-1] == 1:
        known = known[..., 0]
    if known.dtype != np.bool_:
        raise TypeError(f"known must be a bool mask (True = known), got {known.dtype}")
    if known.shape != reals.shape[:3]:
        raise ValueError(f"known {known.shape} does not match images {reals.shape[:3]}")
    height, width = reals.shape[1:3]
    if min(height, width) < SSIM_WIN:
        raise InpaintError(
            f"images are {width}x{height} pixels; SSIM (Gaussian window sigma 1.5, "
            f"{SSIM_WIN}x{SSIM_WIN} taps) needs at least {SSIM_WIN}x{SSIM_WIN}: "
            "use a larger dataset size"
        )
    return reals, completions, known


def hole_ratio(known: np.ndarray) -> np.ndarray:
    """Fraction of hole pixels per mask, (N, H, W) bool (True = known) -> (N,) float64.

    Computed as count / total (correctly rounded), so e.g. 30 of 100 pixels is
    exactly the double nearest 0.3 and lands in the right hole-ratio bin.
    """
    known = np.asarray(known, dtype=bool)
    holes = (~known).reshape(known.shape[0], -1)
    return holes.sum(axis=1) / holes.shape[1]


# ------------------------------------------------------------------- scoring


def _score_chunk(reals, completions, known, use_matmul=None) -> dict[str, np.ndarray]:
    """All metrics but LPIPS for one chunk, vectorised; layout (4, n, C, H, W) inside."""
    n, height, width, channels = reals.shape
    stack = np.empty((4, n, channels, height, width))
    x, y = stack[0], stack[1]
    x[...] = reals.transpose(0, 3, 1, 2)
    y[...] = completions.transpose(0, 3, 1, 2)
    stack[:2] *= 1.0 / 255.0
    np.multiply(x, y, out=stack[3])
    diff = x - y
    sq = np.multiply(diff, diff, out=stack[2])
    hole = (~known).astype(np.float64)                     # (n, H, W)
    n_hole = hole.reshape(n, -1).sum(axis=1) * channels     # hole values, all channels
    mse = sq.reshape(n, -1).mean(axis=1)
    sse_hole = np.einsum("nchw,nhw->n", sq, hole)
    sq += stack[3]
    sq += stack[3]                                          # x*x + y*y = (x - y)^2 + 2xy
    np.abs(diff, out=diff)
    mae = diff.reshape(n, -1).mean(axis=1)
    sae_hole = np.einsum("nchw,nhw->n", diff, hole)

    smap = ssim_from_stack(stack, use_matmul)              # (n, C, H, W)
    pad = (SSIM_WIN - 1) // 2
    ssim = smap[:, :, pad:height - pad, pad:width - pad].mean(axis=(1, 2, 3))
    ssim_sum_hole = np.einsum("nchw,nhw->n", smap, hole)

    with np.errstate(divide="ignore", invalid="ignore"):
        mse_hole = sse_hole / n_hole
        mae_hole = sae_hole / n_hole
        ssim_hole = ssim_sum_hole / n_hole
        psnr = 10 * np.log10(1.0 / mse)                     # inf for identical images
        psnr_hole = 10 * np.log10(1.0 / mse_hole)
    no_hole = n_hole == 0
    for arr in (mse_hole, mae_hole, psnr_hole, ssim_hole):
        arr[no_hole] = np.nan
    return {
        "psnr": psnr,
        "psnr_hole": psnr_hole,
        "ssim": ssim,
        "ssim_hole": ssim_hole,
        "l1": 100.0 * mae,
        "l2": 100.0 * mse,
        "l1_hole": 100.0 * mae_hole,
        "l2_hole": 100.0 * mse_hole,
    }


def add_pm1_hole(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of per-image metrics with ``l1_hole_pm1`` / ``l2_hole_pm1`` appended: the hole
    L1 / L2 on the [-1, 1] scale x 100 (Pathak et al.'s convention as re-implemented)."""
    for column in ("l1_hole", "l2_hole"):
        if column not in frame.columns:
            raise InpaintError(f"add_pm1_hole: the metrics lack the {column!r} column")
    out = frame.copy()
    out["l1_hole_pm1"] = 2.0 * frame["l1_hole"]  # |2x - 2y| = 2 |x - y|
    out["l2_hole_pm1"] = 4.0 * frame["l2_hole"]  # (2x - 2y)^2 = 4 (x - y)^2
    return out


def _single_threaded_blas():
    """Limit BLAS to one thread: the filter matrices are tiny, and a second BLAS thread
    competing with another job for the cores made scoring ~3x slower (measured)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _chunk_size(shape: tuple[int, ...]) -> int:
    per_image = int(np.prod(shape[1:]))
    return max(1, _CHUNK_ELEMENTS // max(per_image, 1))


def pixel_scores(reals, completions, known, batch_size: int | None = None
                 ) -> dict[str, np.ndarray]:
    """:data:`PIXEL_COLUMNS` per image of uint8 (N, H, W, C) batches and bool (N, H, W) masks.

    Vectorised in chunks of ``batch_size`` images (chosen from the image size
    when None: small chunks stay in cache and bound memory), BLAS on one thread.
    """
    reals, completions, known = check_inputs(reals, completions, known)
    n = reals.shape[0]
    step = batch_size or _chunk_size(reals.shape)
    parts: dict[str, list[np.ndarray]] = {}
    with _single_threaded_blas():
        for start in range(0, n, step):
            stop = min(n, start + step)
            chunk = _score_chunk(reals[start:stop], completions[start:stop], known[start:stop])
            for key, value in chunk.items():
                parts.setdefault(key, []).append(value)
    return {key: (np.concatenate(parts[key]) if n else np.empty(0)) for key in PIXEL_COLUMNS}


# ---------------------------------------------------------------- hole border

BORDER_WIDTH = 2  # px, chessboard distance from the known region


def border_band(known: np.ndarray, width: int = BORDER_WIDTH) -> np.ndarray:
    """Hole pixels within ``width`` px (chessboard distance) of a known pixel, (H, W) bool."""
    from scipy.ndimage import binary_dilation

    near = binary_dilation(known, structure=np.ones((3, 3), bool), iterations=width)
    return near & ~known


def border_l1(reals, completions, known, width: int = BORDER_WIDTH) -> np.ndarray:
    """Per-image mean absolute error (x100, [0, 1] scale) on the hole's border band.

    uint8 (N, H, W, C) batches, bool (N, H, W) masks; NaN for an image without
    border-band pixels.
    """
    out = np.full(len(reals), np.nan)
    for i, (real, done, keep) in enumerate(zip(reals, completions, known, strict=True)):
        real = real.astype(float) / 255
        done = done.astype(float) / 255
        band = border_band(keep, width)
        if band.any():
            out[i] = 100 * np.abs(done[band] - real[band]).mean()
    return out
