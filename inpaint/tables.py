"""Aggregate per-image metrics into the result tables (DESIGN §3, §6).

``summarize`` gives one row per (dataset, maskset, method): ``n`` (images)
and, for every metric ``m``, ``m_mean``, ``m_lo``, ``m_hi`` (mean over images
and its 95% percentile-bootstrap interval; ``n_boot`` resamples of the images,
seeded). ``by_hole_ratio`` gives the means per hole-ratio bin, with the bins
of the Partial Convolutions paper.

Conventions (also written as footnotes under the tables):

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

import math
import os
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.io import write_csv, write_text
from inpaint.metrics import METRIC_COLUMNS, read_metrics

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

DISPLAY = {
    "psnr": ("PSNR (dB)", 2),
    "psnr_hole": ("PSNR hole (dB)", 2),
    "ssim": ("SSIM", 4),
    "ssim_hole": ("SSIM hole", 4),
    "l1": ("L1 (%)", 2),
    "l2": ("L2 (%)", 3),
    "l1_hole": ("L1 hole (%)", 2),
    "l2_hole": ("L2 hole (%)", 3),
    "lpips": ("LPIPS", 4),
    "st_lpips": ("ST-LPIPS", 4),
}

DEFINITIONS_NOTE = (
    "Metrics on the saved 8-bit PNGs as floats in [0, 1]; 'hole' = over the missing pixels "
    "only (all channels), otherwise the whole image. PSNR = 10 log10(1 / MSE) in dB; "
    "L1, L2 = mean absolute / squared error x 100 on the [0, 1] scale (Context-Encoder "
    "re-implementations use [-1, 1]: their L1 is 2x, their L2 4x these)."
)
SSIM_NOTE = (
    "SSIM as Wang et al. 2004 with skimage's conventions: Gaussian window sigma 1.5 "
    "(11x11 taps), K1 0.01, K2 0.03, data range 1, per channel then averaged, mean of the "
    "map after cropping 5 px from each border; SSIM hole = mean of the uncropped SSIM map "
    "over hole pixels."
)
PSNR_NOTE = (
    f"Per-image PSNR is inf for an exact reconstruction (MSE 0); PSNR values above "
    f"{PSNR_CAP:g} dB (inf included) count as {PSNR_CAP:g} dB in means and intervals."
)
NAN_NOTE = (
    "Empty per-image values (LPIPS unavailable, hole metrics of masks without holes) are "
    "left out; an empty cell (-) has no values at all."
)
LPIPS_GENERIC_NOTE = (
    "LPIPS (lpips package, AlexNet, v0.1) is empty: it needs torchvision's AlexNet ImageNet "
    "weights in the torch hub cache, which were not present (offline)."
)


# ----------------------------------------------------------------- helpers


def metric_names(frames: Iterable[pd.DataFrame]) -> list[str]:
    """Metric columns of the frames: the standard ones first, further ones as first seen."""
    seen: list[str] = []
    for frame in frames:
        for col in frame.columns:
            if col not in ID_COLUMNS and col not in KEY_COLUMNS and col not in seen:
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


def load_metric_frames(
    metrics_root: str | os.PathLike, keys: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], pd.DataFrame]:
    """Read ``{metrics_root}/{dataset}/{maskset}/{method}.csv`` for every key, in order."""
    root = Path(metrics_root)
    return {
        tuple(key): read_metrics(root / key[0] / key[1] / f"{key[2]}.csv") for key in keys
    }


# ----------------------------------------------------------------- writers


def _metrics_of(frame: pd.DataFrame, suffix: str) -> list[str]:
    return [c[: -len(suffix)] for c in frame.columns if c.endswith(suffix)]


def _fmt(value: float, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.{digits}f}"


def _digits(metric: str) -> int:
    return DISPLAY.get(metric, (metric, 4))[1]


def _header(metric: str) -> str:
    return DISPLAY.get(metric, (metric, 4))[0]


def _cell(row: pd.Series, metric: str) -> tuple[str, str]:
    """(mean, "[lo, hi]") strings; empty strings where NaN."""
    d = _digits(metric)
    mean = _fmt(row[f"{metric}_mean"], d)
    lo, hi = _fmt(row.get(f"{metric}_lo", np.nan), d), _fmt(row.get(f"{metric}_hi", np.nan), d)
    return mean, (f"[{lo}, {hi}]" if lo and hi else "")


def _dataset_name(row: pd.Series) -> str:
    label = row.get("dataset_label")
    if isinstance(label, str) and label and label != row["dataset"]:
        return f"{label} ({row['dataset']})"
    return str(row["dataset"])


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|")


_TEX_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def tex_escape(text: str) -> str:
    """Escape LaTeX special characters (underscores included) in plain text."""
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in str(text))


def table_notes(summary: pd.DataFrame, notes: Sequence[str] = ()) -> list[str]:
    """Footnotes for the tables: conventions, then LPIPS status, then the caller's notes."""
    n_boot = summary.attrs.get("n_boot")
    seed = summary.attrs.get("seed")
    boot = "Mean over images [95% percentile-bootstrap interval of the mean"
    boot += f", {n_boot} resamples, seed {seed}]." if n_boot is not None else "]."
    out = [boot, DEFINITIONS_NOTE, SSIM_NOTE, PSNR_NOTE]
    capped = summary.attrs.get("psnr_capped")
    if capped:
        out.append(f"{capped} per-image PSNR value(s) were above {PSNR_CAP:g} dB and capped.")
    out.append(NAN_NOTE)
    lpips_empty = "lpips_mean" in summary.columns and summary["lpips_mean"].isna().all()
    caller_mentions_lpips = any("lpips" in n.lower() for n in notes)
    if lpips_empty and not caller_mentions_lpips:
        out.append(LPIPS_GENERIC_NOTE)
    out.extend(notes)
    return out


def summary_markdown(summary: pd.DataFrame, notes: Sequence[str] = ()) -> str:
    """Markdown table: one row per key, cells ``mean [lo, hi]``, '-' where empty; footnotes."""
    metrics = _metrics_of(summary, "_mean")
    header = ["Dataset", "Mask set", "Method", "n", *(_header(m) for m in metrics)]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join([":--"] * 3 + ["--:"] * (1 + len(metrics))) + "|"]
    for _, row in summary.iterrows():
        cells = [_dataset_name(row), str(row["maskset"]), str(row["method"]), str(int(row["n"]))]
        for m in metrics:
            mean, ci = _cell(row, m)
            cells.append(f"{mean} {ci}".strip() if mean else "-")
        lines.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
    foot = [f"{i}. {_md_escape(n)}" for i, n in enumerate(table_notes(summary, notes), 1)]
    return "\n".join(["# Summary", "", *lines, "", "Notes:", "", *foot]) + "\n"


def summary_latex(summary: pd.DataFrame, notes: Sequence[str] = ()) -> str:
    """booktabs tabular (needs ``\\usepackage{booktabs}``); notes as leading % comments."""
    metrics = _metrics_of(summary, "_mean")
    header = ["Dataset", "Mask set", "Method", "$n$", *(tex_escape(_header(m)) for m in metrics)]
    out = ["% Generated by inpaint.tables; needs \\usepackage{booktabs}."]
    out += [f"% {n}" for n in table_notes(summary, notes)]
    out += [f"\\begin{{tabular}}{{lllr{'c' * len(metrics)}}}", "\\toprule",
            " & ".join(header) + r" \\", "\\midrule"]
    for _, row in summary.iterrows():
        cells = [tex_escape(_dataset_name(row)), tex_escape(row["maskset"]),
                 tex_escape(row["method"]), str(int(row["n"]))]
        for m in metrics:
            mean, ci = _cell(row, m)
            if not mean:
                cells.append("--")
            elif ci:
                cells.append(f"{mean} {{\\scriptsize {ci}}}")
            else:
                cells.append(mean)
        out.append(" & ".join(cells) + r" \\")
    out += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(out) + "\n"


def by_ratio_markdown(by_ratio: pd.DataFrame, notes: Sequence[str] = ()) -> str:
    """Markdown table of :func:`by_hole_ratio` (means), hole metrics first."""
    metrics = _metrics_of(by_ratio, "_mean")
    hole = [m for m in metrics if m.endswith("_hole")]
    metrics = hole + [m for m in metrics if m not in hole]
    header = ["Dataset", "Mask set", "Method", "Hole ratio", "n", *(_header(m) for m in metrics)]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join([":--"] * 4 + ["--:"] * (1 + len(metrics))) + "|"]
    for _, row in by_ratio.iterrows():
        cells = [_dataset_name(row), str(row["maskset"]), str(row["method"]), str(row["bin"]),
                 str(int(row["n"]))]
        cells += [_fmt(row[f"{m}_mean"], _digits(m)) or "-" for m in metrics]
        lines.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
    base = ["Mean over the images whose hole ratio (fraction of missing pixels) is in the bin; "
            "bins (lo, hi] as in Liu et al. 2018 (PConv); '[0,0.01]' and '(0.6,1]' collect "
            "the masks outside them.", PSNR_NOTE, NAN_NOTE]
    foot = [f"{i}. {_md_escape(n)}" for i, n in enumerate([*base, *notes], 1)]
    return "\n".join(["# Metrics by hole ratio", "", *lines, "", "Notes:", "", *foot]) + "\n"


def write_tables(
    out_dir: str | os.PathLike,
    summary: pd.DataFrame,
    by_ratio: pd.DataFrame,
    notes: Sequence[str] = (),
) -> list[Path]:
    """Write summary.csv/.md/.tex and by_hole_ratio.csv/.md into ``out_dir``, atomically.

    ``notes`` (e.g. the LPIPS reason from :func:`inpaint.metrics.load_lpips`)
    are appended to the standard footnotes. Returns the paths written.
    """
    out = Path(out_dir)
    notes = list(notes)
    write_csv(out / "summary.csv", summary)
    write_text(out / "summary.md", summary_markdown(summary, notes))
    write_text(out / "summary.tex", summary_latex(summary, notes))
    write_csv(out / "by_hole_ratio.csv", by_ratio)
    write_text(out / "by_hole_ratio.md", by_ratio_markdown(by_ratio, notes))
    return [out / name for name in
            ("summary.csv", "summary.md", "summary.tex", "by_hole_ratio.csv", "by_hole_ratio.md")]
