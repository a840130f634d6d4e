"""Aggregate per-image metrics into the result tables' numbers (DESIGN §3, §6).

``summarize`` gives one row per (dataset, maskset, method): ``n`` (images)
and, for every metric ``m``, ``m_mean``, ``m_lo``, ``m_hi`` (mean over images
and its 95% percentile-bootstrap interval; ``n_boot`` resamples of the images,
seeded). ``by_hole_ratio`` gives the means per hole-ratio bin, with the bins
of the Partial Convolutions paper.

Conventions (also written as footnotes under the tables, :mod:`inpaint.evaluation.tables`):

* NaN per-image values (LPIPS unavailable; hole metrics of a mask without
  holes) are left out: each metric is aggregated over its non-NaN values, and
  a metric with no values at all is NaN (an empty cell in the CSV).
* PSNR: an exact reconstruction has MSE 0 and PSNR = inf in the per-image
  CSV (skimage's behaviour). Before averaging, every PSNR column (``psnr``,
  ``psnr_hole``, ...) is clipped at :data:`PSNR_CAP` = 100 dB, so one perfect
  image (e.g. a hole on flat background) does not make a mean infinite. The
  smallest non-zero error (one value off by one 8-bit level) gives
  10 log10(255^2 H W C) dB: 83 dB at 32x32x3, 101 dB at 256x256x3, so only
  exact or near-exact reconstructions are affected. :func:`summarize` counts
  the capped values (``summary.attrs["psnr_capped"]``) for the footnote.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from inpaint.evaluation.metrics_csv import BORDER_COLUMN, METRIC_COLUMNS

PSNR_CAP = 100.0
LEVEL = 0.95
KEY_COLUMNS = ("dataset", "maskset", "method")
ID_COLUMNS = ("image_id", "hole_ratio")

# Hole-ratio bins of Liu et al. 2018 (PConv): (lo, hi]; the rest is "[0,0.01]" or "(0.6,1]".
PCONV_BINS = ((0.01, 0.1), (0.1, 0.2), (0.2, 0.3), (0.3, 0.4), (0.4, 0.5), (0.5, 0.6))
BELOW_BIN = "[0,0.01]"
ABOVE_BIN = "(0.6,1]"
UNKNOWN_BIN = "unknown"  # a missing hole ratio
BIN_LABELS = (BELOW_BIN, *(f"({lo:g},{hi:g}]" for lo, hi in PCONV_BINS), ABOVE_BIN, UNKNOWN_BIN)

_BOOT_CHUNK = 1 << 22  # gathered values per bootstrap chunk

# ----------------------------------------------------------------- helpers


def metric_names(frames: Iterable[pd.DataFrame]) -> list[str]:
    """Metric columns of the frames: the standard ones first, further ones as first seen
    (the hole-border L1 is for the claims page, not the tables)."""
    seen: list[str] = []
    for frame in frames:
        for col in frame.columns:
            if col not in (*ID_COLUMNS, *KEY_COLUMNS, BORDER_COLUMN) and col not in seen:
                seen.append(col)
    return [m for m in METRIC_COLUMNS if m in seen] + [m for m in seen if m not in METRIC_COLUMNS]


def _values(frame: pd.DataFrame, metric: str) -> np.ndarray:
    if metric not in frame.columns:
        return np.full(len(frame), np.nan)
    values = pd.to_numeric(frame[metric], errors="coerce").to_numpy(dtype=np.float64, copy=True)
    if metric.startswith("psnr"):
        values = np.minimum(values, PSNR_CAP)  # inf -> cap; NaN stays NaN
    return values


def _stable_seed(*parts: object) -> int:
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode())


def bootstrap_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_boot`` resamples (with replacement) of the rows of ``values`` (k, m).

    Vectorised: each chunk draws an index matrix (b, k) and averages the
    gathered (b, k, m) block; returns (n_boot, m).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    k, m = values.shape
    out = np.empty((n_boot, m))
    step = max(1, _BOOT_CHUNK // max(1, k * m))
    for start in range(0, n_boot, step):
        stop = min(n_boot, start + step)
        idx = rng.integers(0, k, size=(stop - start, k))
        out[start:stop] = values[idx].mean(axis=1)
    return out


def _interval(boot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    alpha = (1.0 - LEVEL) / 2.0
    lo, hi = np.percentile(boot, [100 * alpha, 100 * (1 - alpha)], axis=0)
    return lo, hi


# --------------------------------------------------------------- summaries


def summarize(
    metric_frames: Mapping[tuple[str, str, str], pd.DataFrame],
    n_boot: int = 1000,
    seed: int = 0,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per (dataset, maskset, method) key of ``metric_frames``, in their order.

    Columns: dataset, maskset, method, n, then ``m_mean, m_lo, m_hi`` for every
    metric (standard order, then extra metrics), then ``dataset_label`` when
    ``labels`` (dataset -> display label) is given. The interval is the 95%
    percentile bootstrap of the mean over images: ``n_boot`` resamples drawn
    from a generator seeded by (seed, key), so a row does not depend on the
    other rows; metrics without NaN share the resamples (paired), a metric
    with NaN values is resampled over its non-NaN images. ``n_boot=0`` leaves
    the intervals empty. See the module docstring for NaN and PSNR handling.
    """
    metrics = metric_names(metric_frames.values())
    rows = []
    capped = 0
    for key, frame in metric_frames.items():
        dataset, maskset, method = key
        row: dict[str, object] = {"dataset": dataset, "maskset": maskset, "method": method,
                                  "n": len(frame)}
        raw = {m: _values(frame, m) for m in metrics}
        for m in metrics:
            if m.startswith("psnr") and m in frame.columns:
                capped += int((pd.to_numeric(frame[m], errors="coerce") > PSNR_CAP).sum())
        complete = [m for m in metrics if len(frame) and not np.isnan(raw[m]).any()]
        stats: dict[str, tuple[float, float, float]] = {}
        if complete:
            block = np.column_stack([raw[m] for m in complete])
            means = block.mean(axis=0)
            if n_boot > 0:
                rng = np.random.default_rng([seed, _stable_seed(*key)])
                lo, hi = _interval(bootstrap_means(block, n_boot, rng))
            else:
                lo = hi = np.full(len(complete), np.nan)
            for j, m in enumerate(complete):
                stats[m] = (float(means[j]), float(lo[j]), float(hi[j]))
        for m in metrics:
            if m in stats:
                continue
            valid = raw[m][~np.isnan(raw[m])]
            if valid.size == 0:
                stats[m] = (np.nan, np.nan, np.nan)
                continue
            mean = float(valid.mean())
            if n_boot > 0:
                rng = np.random.default_rng([seed, _stable_seed(*key), _stable_seed(m)])
                lo, hi = _interval(bootstrap_means(valid, n_boot, rng))
                stats[m] = (mean, float(lo[0]), float(hi[0]))
            else:
                stats[m] = (mean, np.nan, np.nan)
        for m in metrics:
            row[f"{m}_mean"], row[f"{m}_lo"], row[f"{m}_hi"] = stats[m]
        if labels is not None:
            row["dataset_label"] = labels.get(dataset, dataset)
        rows.append(row)
    columns = [*KEY_COLUMNS, "n", *(f"{m}_{s}" for m in metrics for s in ("mean", "lo", "hi"))]
    if labels is not None:
        columns.append("dataset_label")
    summary = pd.DataFrame(rows, columns=columns)
    summary["n"] = summary["n"].astype(int)
    summary.attrs.update(n_boot=n_boot, seed=seed, psnr_capped=capped)
    return summary


def hole_ratio_bins(ratios) -> np.ndarray:
    """Bin label of each hole ratio: PConv's (lo, hi] bins, "[0,0.01]" below, "(0.6,1]" above.

    Ratios are rounded to 9 decimals first, so 0.1 (or 0.1 + 1e-17 from a CSV)
    lands in "(0.01,0.1]".
    """
    r = np.round(np.asarray(ratios, dtype=np.float64), 9)
    labels = np.full(r.shape, UNKNOWN_BIN, dtype=object)
    labels[r <= PCONV_BINS[0][0]] = BELOW_BIN
    for lo, hi in PCONV_BINS:
        labels[(r > lo) & (r <= hi)] = f"({lo:g},{hi:g}]"
    labels[r > PCONV_BINS[-1][1]] = ABOVE_BIN
    return labels


def by_hole_ratio(
    metric_frames: Mapping[tuple[str, str, str], pd.DataFrame],
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Mean of every metric per hole-ratio bin (only bins with images), per key.

    Columns: dataset, maskset, method, bin, n, ``m_mean`` per metric (NaN
    left out, PSNR clipped at :data:`PSNR_CAP` as in :func:`summarize`), then
    ``dataset_label`` when ``labels`` is given. Bins in ascending order.
    """
    metrics = metric_names(metric_frames.values())
    rows = []
    for key, frame in metric_frames.items():
        if "hole_ratio" not in frame.columns:
            raise ValueError(f"metrics of {'/'.join(key)} lack the hole_ratio column")
        bins = hole_ratio_bins(frame["hole_ratio"])
        raw = {m: _values(frame, m) for m in metrics}
        for label in BIN_LABELS:
            sel = bins == label
            if not sel.any():
                continue
            row: dict[str, object] = dict(zip(KEY_COLUMNS, key, strict=True))
            row.update(bin=label, n=int(sel.sum()))
            for m in metrics:
                v = raw[m][sel]
                v = v[~np.isnan(v)]
                row[f"{m}_mean"] = float(v.mean()) if v.size else np.nan
            if labels is not None:
                row["dataset_label"] = labels.get(key[0], key[0])
            rows.append(row)
    columns = [*KEY_COLUMNS, "bin", "n", *(f"{m}_mean" for m in metrics)]
    if labels is not None:
        columns.append("dataset_label")
    return pd.DataFrame(rows, columns=columns)
