"""Poisson blending as an exact sparse solve (Pérez et al. 2003).

x = argmin sum over hole pixels p and their 4-neighbours q inside the image of
((x_p - x_q) - (g_p - g_q))^2, with x = y on known pixels (Dirichlet boundary).
The normal equations give, for every hole pixel p,

    |N(p)| x_p - sum_{q in N(p), q hole} x_q
        = sum_{q in N(p)} (g_p - g_q) + sum_{q in N(p), q known} y_q

one sparse symmetric positive-definite system per image, shared by all channels
(factorised once with SuperLU, solved for every channel). Used by yeh_dcgan
(blending G(z*) into the known pixels) and glcic (post-processing).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

_OFFSETS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def poisson_blend(known_image: np.ndarray, guide: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Blend ``guide`` into the hole of ``known_image``.

    known_image, guide: float (H, W, C); known: bool (H, W), True = known pixel.
    Returns float64 (H, W, C): known pixels exactly equal ``known_image``, hole
    pixels with the gradients of ``guide``. All-hole masks return ``guide``
    (nothing to anchor to); no-hole masks return ``known_image``.
    """
    y = np.asarray(known_image, dtype=np.float64)
    g = np.asarray(guide, dtype=np.float64)
    if y.ndim == 2:
        y, g = y[..., None], g[..., None]
    h, w, c = y.shape
    if g.shape != y.shape or known.shape != (h, w):
        raise ValueError(f"shapes differ: image {y.shape}, guide {g.shape}, mask {known.shape}")
    out = y.copy()
    hole = ~known
    n = int(hole.sum())
    if n == 0:
        return out
    if n == h * w:
        return g.copy()
    index = np.full((h, w), -1, dtype=np.int64)
    index[hole] = np.arange(n)
    rows, cols = np.nonzero(hole)
    diag = np.zeros(n)
    rhs = np.zeros((n, c))
    off_i, off_j = [], []
    for dr, dc in _OFFSETS:
        qr, qc = rows + dr, cols + dc
        inside = (qr >= 0) & (qr < h) & (qc >= 0) & (qc < w)
        p = np.nonzero(inside)[0]
        qr, qc = qr[inside], qc[inside]
        diag[p] += 1
        rhs[p] += g[rows[p], cols[p]] - g[qr, qc]
        q_hole = hole[qr, qc]
        rhs[p[~q_hole]] += y[qr[~q_hole], qc[~q_hole]]
        off_i.append(p[q_hole])
        off_j.append(index[qr[q_hole], qc[q_hole]])
    i = np.concatenate([np.arange(n), *off_i])
    j = np.concatenate([np.arange(n), *off_j])
    values = np.concatenate([diag, -np.ones(sum(len(a) for a in off_i))])
    matrix = sp.csc_matrix((values, (i, j)), shape=(n, n))
    solution = splu(matrix).solve(rhs)
    out[rows, cols] = solution
    return out


def poisson_blend_batch(images: np.ndarray, guides: np.ndarray, known: np.ndarray,
                        clip: bool = True) -> np.ndarray:
    """poisson_blend over a batch (N, H, W, C); float32 result, clipped to [0, 1]."""
    out = np.stack([poisson_blend(y, g, m) for y, g, m in zip(images, guides, known, strict=True)])
    return (np.clip(out, 0.0, 1.0) if clip else out).astype(np.float32)
