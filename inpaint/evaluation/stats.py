"""Paired comparisons on the same test images: every method against a classical
baseline of its dataset x mask set (Wilcoxon signed-rank test), with
Holm-Bonferroni adjusted p-values over the whole table.

The baseline of each dataset x mask set x metric is the classical method with
the best mean on the VALIDATION split (per-image validation frames of
``inpaint.evaluation.validation``); only without validation scores does it fall back to
the test split, and the ``chosen_on`` column says which. Which methods are
classical comes from the method registry (``get_method_class(m).learned``);
methods outside the registry (external ones) are neither kind.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from inpaint.evaluation.summary import PSNR_CAP
from inpaint.runs import split_run

ALPHA = 0.05
# metric -> True when higher is better
PAIRED_METRICS = {"psnr_hole": True, "ssim_hole": True, "l1_hole": False, "st_lpips": False,
                  "lpips": False}
Frames = Mapping[tuple[str, str, str], pd.DataFrame]


def method_kind(name: str) -> str | None:
    """"learned" or "classical" from the registry; None for a method outside it (external).

    A multi-seed run name (``pconv.seed1``) is its method's kind.
    """
    from inpaint.errors import InpaintError
    from inpaint.methods import get_method_class

    try:
        return "learned" if get_method_class(split_run(name)[0]).learned else "classical"
    except InpaintError:
        return None


def of_kind(names: Iterable[str], kind: str) -> list[str]:
    """The names (in order, once each) whose registry kind is ``kind``."""
    return [n for n in dict.fromkeys(names) if method_kind(n) == kind]


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down), NaN left out of the family and kept NaN.

    With the m finite p-values sorted ascending, p_(i) becomes
    max_{j <= i} min(1, (m - j + 1) p_(j)); same order as the input.
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = len(finite)
    if m == 0:
        return out
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def _capped(values: pd.Series) -> np.ndarray:
    return np.minimum(pd.to_numeric(values, errors="coerce").to_numpy(float), PSNR_CAP)


def aligned(a: pd.DataFrame, b: pd.DataFrame, metric: str,
             on: Sequence[str] = ("image_id",)) -> tuple[np.ndarray, np.ndarray]:
    on = list(on)
    joined = a[[*on, metric]].merge(b[[*on, metric]], on=on, suffixes=("_a", "_b"))
    x = _capped(joined[f"{metric}_a"])  # PSNR cap as in the tables
    y = _capped(joined[f"{metric}_b"])
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def wilcoxon_p(diff: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences (NaN when all are zero)."""
    from scipy.stats import wilcoxon

    diff = np.asarray(diff, dtype=np.float64)
    diff = diff[np.isfinite(diff)]
    if len(diff) == 0 or np.all(diff == 0):
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small-sample / ties notes
        return float(wilcoxon(diff, zero_method="wilcox", alternative="two-sided").pvalue)


def mean_of(frame: pd.DataFrame | None, metric: str) -> float:
    """Mean of a metric column (PSNR capped at 100 dB, NaN left out); NaN when none."""
    if frame is None or metric not in frame:
        return float("nan")
    values = _capped(frame[metric])
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else float("nan")


def pooled_masksets(frames: Frames, dataset: str, method: str) -> pd.DataFrame:
    """A method's per-image rows of every mask set of a dataset in one frame, with a
    ``maskset`` column and ``image_id`` as str (to pair on both); empty when it has none."""
    parts = [f.assign(maskset=m, image_id=f.image_id.astype(str))
             for (d, m, x), f in frames.items() if (d, x) == (dataset, method)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def best_by(means: Mapping[str, float], higher: bool) -> str | None:
    means = {k: v for k, v in means.items() if np.isfinite(v)}
    if not means:
        return None
    return (max if higher else min)(means, key=means.get)


def choose_baseline(candidates: Sequence[str], dataset: str, maskset: str, metric: str,
                    validation: Mapping[str, pd.DataFrame] | None,
                    test: Frames) -> tuple[str | None, str]:
    """The best of ``candidates`` and where it was chosen: ("telea", "validation psnr_hole").

    On the validation frames (dataset's, rows of this mask set) by ``metric``,
    or by hole PSNR when validation lacks the metric (e.g. LPIPS); on the
    test frames only when no candidate has validation scores.
    """
    if validation:
        by = metric
        rows = {c: validation[c][validation[c]["maskset"] == maskset] for c in candidates
                if c in validation}
        if not any(by in f and f[by].notna().any() for f in rows.values()):
            by = "psnr_hole"
        best = best_by({c: mean_of(f, by) for c, f in rows.items()}, PAIRED_METRICS[by])
        if best is not None:
            return best, f"validation {by}"
    best = best_by({c: mean_of(test.get((dataset, maskset, c)), metric) for c in candidates},
                   PAIRED_METRICS[metric])
    return best, f"test {metric}"


def paired_comparisons(frames: Frames,
                       metrics: Sequence[str] = ("psnr_hole", "ssim_hole", "st_lpips"),
                       validation: Mapping[str, Mapping[str, pd.DataFrame]] | None = None,
                       ) -> pd.DataFrame:
    """One row per (dataset, maskset, method, metric): the method vs the classical baseline.

    ``validation``: dataset -> method -> per-image validation frame (columns
    maskset, image_id, metrics), from which the baseline is chosen. Columns:
    dataset, maskset, method, metric, baseline, chosen_on (split and metric
    that chose the baseline), n (paired test images), mean_diff (method -
    baseline, in the metric's units), improved (fraction of images where the
    method is better), p_value (two-sided Wilcoxon signed-rank), p_holm
    (Holm-Bonferroni over every p-value of the table).
    """
    validation = validation or {}
    rows = []
    groups = list(dict.fromkeys(key[:2] for key in frames))  # in the frames' order
    for dataset, maskset in groups:
        methods = {x: f for (d, m, x), f in frames.items() if (d, m) == (dataset, maskset)}
        classical = of_kind(methods, "classical")
        for metric in metrics:
            higher = PAIRED_METRICS[metric]
            candidates = [x for x in classical if metric in methods[x]
                          and methods[x][metric].notna().any()]
            if not candidates:
                continue
            best, chosen_on = choose_baseline(candidates, dataset, maskset, metric,
                                              validation.get(dataset), frames)
            for method, frame in methods.items():
                if method == best or metric not in frame or frame[metric].isna().all():
                    continue
                x, y = aligned(frame, methods[best], metric)
                diff = x - y
                better = diff > 0 if higher else diff < 0
                rows.append({
                    "dataset": dataset, "maskset": maskset, "method": method, "metric": metric,
                    "baseline": best, "chosen_on": chosen_on, "n": len(diff),
                    "mean_diff": float(diff.mean()) if len(diff) else float("nan"),
                    "improved": float(better.mean()) if len(diff) else float("nan"),
                    "p_value": wilcoxon_p(diff),
                })
    out = pd.DataFrame(rows, columns=["dataset", "maskset", "method", "metric", "baseline",
                                      "chosen_on", "n", "mean_diff", "improved", "p_value"])
    out["p_holm"] = holm(out["p_value"].to_numpy(float)) if len(out) else []
    return out


def _p(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{value:.2g}"


def paired_markdown(paired: pd.DataFrame, notes: Sequence[str] = ()) -> str:
    lines = [
        "# Paired comparisons against the best classical baseline",
        "",
        "| Dataset | Mask set | Method | Metric | Baseline (chosen on) | n | Mean diff | "
        "Improved | p | p (Holm) |",
        "|:--|:--|:--|:--|:--|--:|--:|--:|--:|--:|",
    ]
    for row in paired.itertuples():
        lines.append(f"| {row.dataset} | {row.maskset} | {row.method} | {row.metric} | "
                     f"{row.baseline} ({row.chosen_on}) | {row.n} | {row.mean_diff:+.4g} | "
                     f"{row.improved:.0%} | {_p(row.p_value)} | {_p(row.p_holm)} |")
    n_tests = int(np.isfinite(paired["p_value"].to_numpy(float)).sum()) if len(paired) else 0
    lines += [
        "",
        "Each method against a classical baseline (the methods the registry marks as "
        "classical; external methods are compared, never baselines) on the same test images. "
        "The baseline of a dataset x mask set x metric is the classical method with the best "
        "mean of that metric on the VALIDATION split (hole PSNR where validation lacks the "
        "metric, e.g. LPIPS); 'test' in brackets marks a baseline chosen on the test split "
        "because no validation scores were given. Mean diff = method - baseline (PSNR capped "
        "at 100 dB as in the summary); Improved = fraction of images where the method is "
        "better (higher PSNR/SSIM, lower L1/LPIPS/ST-LPIPS); p = two-sided Wilcoxon "
        "signed-rank test (scipy); p (Holm) = Holm-Bonferroni adjusted over the "
        f"{n_tests} tests of this table. A difference is significant when p (Holm) < "
        f"{ALPHA:g}.",
        *notes,
        "",
    ]
    return "\n".join(lines)
