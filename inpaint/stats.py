"""Paired comparisons on the same test images: every method against the best
classical baseline of its dataset x mask set (Wilcoxon signed-rank test).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

CLASSICAL = ("biharmonic", "telea", "navier_stokes")
# metric -> True when higher is better
PAIRED_METRICS = {"psnr_hole": True, "ssim_hole": True, "l1_hole": False, "st_lpips": False,
                  "lpips": False}


def _aligned(a: pd.DataFrame, b: pd.DataFrame, metric: str) -> tuple[np.ndarray, np.ndarray]:
    joined = a[["image_id", metric]].merge(b[["image_id", metric]], on="image_id",
                                           suffixes=("_a", "_b"))
    x = np.minimum(joined[f"{metric}_a"].to_numpy(float), 100.0)  # PSNR cap as in the tables
    y = np.minimum(joined[f"{metric}_b"].to_numpy(float), 100.0)
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def wilcoxon_p(diff: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences (NaN when all are zero)."""
    from scipy.stats import wilcoxon

    if len(diff) == 0 or np.all(diff == 0):
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small-sample / ties notes
        return float(wilcoxon(diff, zero_method="wilcox", alternative="two-sided").pvalue)


def paired_comparisons(frames: Mapping[tuple[str, str, str], pd.DataFrame],
                       metrics: Sequence[str] = ("psnr_hole", "ssim_hole", "st_lpips"),
                       classical: Sequence[str] = CLASSICAL) -> pd.DataFrame:
    """One row per (dataset, maskset, method, metric): the method vs the best classical one.

    The best classical baseline is the one with the best mean of that metric on
    that dataset x mask set. Columns: dataset, maskset, method, metric,
    baseline, n (paired images), mean_diff (method - baseline, in the
    metric's units), improved (fraction of images where the method is
    better), p_value (two-sided Wilcoxon signed-rank).
    """
    rows = []
    groups = list(dict.fromkeys(key[:2] for key in frames))  # in the frames' order
    for dataset, maskset in groups:
        methods = {x: f for (d, m, x), f in frames.items() if (d, m) == (dataset, maskset)}
        for metric in metrics:
            higher = PAIRED_METRICS[metric]
            base = {x: f[metric].clip(upper=100.0).mean() for x, f in methods.items()
                    if x in classical and metric in f and f[metric].notna().any()}
            if not base:
                continue
            best = (max if higher else min)(base, key=base.get)
            for method, frame in methods.items():
                if method == best or metric not in frame or frame[metric].isna().all():
                    continue
                x, y = _aligned(frame, methods[best], metric)
                diff = x - y
                better = diff > 0 if higher else diff < 0
                rows.append({
                    "dataset": dataset, "maskset": maskset, "method": method, "metric": metric,
                    "baseline": best, "n": len(diff),
                    "mean_diff": float(diff.mean()) if len(diff) else float("nan"),
                    "improved": float(better.mean()) if len(diff) else float("nan"),
                    "p_value": wilcoxon_p(diff),
                })
    return pd.DataFrame(rows, columns=["dataset", "maskset", "method", "metric", "baseline", "n",
                                       "mean_diff", "improved", "p_value"])


def paired_markdown(paired: pd.DataFrame) -> str:
    lines = [
        "# Paired comparisons against the best classical baseline",
        "",
        "| Dataset | Mask set | Method | Metric | Baseline | n | Mean diff | Improved | p |",
        "|:--|:--|:--|:--|:--|--:|--:|--:|--:|",
    ]
    for row in paired.itertuples():
        p = "-" if np.isnan(row.p_value) else f"{row.p_value:.2g}"
        lines.append(f"| {row.dataset} | {row.maskset} | {row.method} | {row.metric} | "
                     f"{row.baseline} | {row.n} | {row.mean_diff:+.4g} | {row.improved:.0%} | "
                     f"{p} |")
    lines += [
        "",
        "Each method against the classical baseline (biharmonic, telea, navier_stokes) with "
        "the best mean of that metric on the same dataset and mask set, on the same test "
        "images. Mean diff = method - baseline (PSNR capped at 100 dB as in the summary); "
        "Improved = fraction of images where the method is better (higher PSNR/SSIM, lower "
        "L1/LPIPS/ST-LPIPS); p = two-sided Wilcoxon signed-rank test (scipy), uncorrected "
        "for multiple comparisons.",
        "",
    ]
    return "\n".join(lines)
