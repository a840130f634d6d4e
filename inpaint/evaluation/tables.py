"""The result tables as files: summary.csv/.md/.tex and by_hole_ratio.csv/.md, with the
conventions as footnotes (the numbers: :mod:`inpaint.evaluation.summary`)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.evaluation.summary import PSNR_CAP
from inpaint.io import write_csv, write_text

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

    ``notes`` (e.g. the LPIPS reason from :func:`inpaint.evaluation.perceptual.lpips_status`)
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
