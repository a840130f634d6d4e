"""Test images shared by the evaluation tests (not a test module)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from inpaint.evaluation.metrics_csv import CSV_COLUMNS, METRIC_COLUMNS
from inpaint.io import save_png

SSIM_KW = dict(
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=-1
)


def pair(rng, shape, noise=40):
    real = rng.integers(0, 256, shape, dtype=np.uint8)
    comp = np.clip(real.astype(int) + rng.integers(-noise, noise + 1, shape), 0, 255)
    return real, comp.astype(np.uint8)


def write_case(tmp_path, rng, n=3, size=16, channels=3, rgb_completions=False):
    ids = [f"img{i}" for i in range(n)]
    real, comp = pair(rng, (n, size, size, channels))
    known = rng.random((n, size, size)) > 0.4
    for i, image_id in enumerate(ids):
        save_png(tmp_path / "real" / f"{image_id}.png", real[i])
        out = np.repeat(comp[i], 3, axis=2) if rgb_completions else comp[i]
        save_png(tmp_path / "comp" / f"{image_id}.png", out)
        save_png(tmp_path / "mask" / f"{image_id}.png", np.where(known[i], 255, 0).astype(np.uint8))
    return ids, real, comp, known


def metrics_frame(rng, n, lpips=False, ratios=None):
    """Random per-image metrics of n images (lpips NaN unless ``lpips``)."""
    data = {"image_id": [f"im{i}" for i in range(n)],
            "hole_ratio": rng.uniform(0.0, 0.7, n) if ratios is None else ratios}
    for m in METRIC_COLUMNS:
        data[m] = rng.normal(20.0, 2.0, n)
    frame = pd.DataFrame(data, columns=list(CSV_COLUMNS))
    if not lpips:
        frame["lpips"] = np.nan
    return frame
