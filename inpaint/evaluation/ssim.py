"""SSIM as Wang et al. 2004 with skimage's conventions, vectorised over a batch (DESIGN §6).

ssim, ssim_hole
    skimage's ``structural_similarity(gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=1, channel_axis=-1)``: Gaussian
    window sigma 1.5 truncated at 3.5 sigma (11 x 11 taps), K1 0.01, K2 0.03,
    borders extended by symmetric reflection (scipy ``mode='reflect'``), per
    channel then averaged. ``ssim`` is the mean of the SSIM map after cropping
    5 px from every border (skimage's convention); ``ssim_hole`` is the mean of
    the *uncropped* SSIM map (skimage ``full=True``) over the hole pixels and
    all channels. Images must be at least 11 x 11 pixels.

The Gaussian filter is two small matrix products with scipy's taps and the
'reflect' border folded into the matrices (scipy's own filter above 128 px);
results equal skimage's to ~1e-15 (tests/evaluation/test_scoring.py checks 1e-6).
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import ndimage as ndi

SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
SSIM_WIN = 2 * int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5) + 1  # 11, as scipy/skimage
_MATMUL_MAX_SIDE = 128  # above this, a dense (side x side) filter matrix costs more than scipy


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


def filter_hw(stack: np.ndarray, use_matmul: bool | None = None) -> np.ndarray:
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


def ssim_from_stack(stack: np.ndarray, use_matmul: bool | None = None) -> np.ndarray:
    """SSIM map from a stack [x, y, x*x + y*y, x*y] of (..., H, W) arrays; reuses its memory.

    The filter is linear and SSIM needs the variances only as vx + vy, so
    G(x*x) + G(y*y) is filtered as one map G(x*x + y*y): 4 filtered maps, not 5.
    """
    ux, uy, usq, uxy = filter_hw(stack, use_matmul)
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
