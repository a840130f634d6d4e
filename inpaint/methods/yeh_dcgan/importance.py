"""Yeh et al.'s importance weights of the context loss (torch-free)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def importance_weights(known: np.ndarray, window: int = 7) -> np.ndarray:
    """Yeh et al.'s context weights, float32 (N, H, W) for bool masks (N, H, W), True = known:

        W_i = sum_{j in N(i)} (1 - M_j) / |N(i)|   if M_i = 1, else 0,

    N(i) the ``window`` x ``window`` neighbourhood of i inside the image (|N(i)| is
    smaller at the border). Known pixels near holes weigh most; holes weigh 0.
    """
    known = np.asarray(known, dtype=bool)
    r = window // 2
    hole = np.pad((~known).astype(np.float64), ((0, 0), (r, r), (r, r)))
    inside = np.pad(np.ones(known.shape[1:]), r)
    holes = sliding_window_view(hole, (window, window), axis=(1, 2)).sum(axis=(-2, -1))
    count = sliding_window_view(inside, (window, window)).sum(axis=(-2, -1))
    return (known * holes / count).astype(np.float32)
