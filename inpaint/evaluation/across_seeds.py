"""Results across training seeds: a multi-seed method's runs (``{method}.seed{n}``,
:mod:`inpaint.runs`) aggregated.

The result tables keep one row per run, and ``seeds.csv``/``.md``
aggregate the runs of a method as the mean ± standard deviation (ddof 1)
across seeds of the per-run means. The paired comparisons and the claims page
use, for each learned method, its per-image metrics averaged across seeds.
Without ``seeds``, run names are the method names and nothing changes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from inpaint.errors import InpaintError
from inpaint.runs import split_run


def collapse_seeds(frames: Mapping[tuple[str, str, str], pd.DataFrame]
                   ) -> dict[tuple[str, str, str], pd.DataFrame]:
    """Frames keyed by method instead of run: seed runs averaged image by image.

    The numeric metric columns of a method's runs are averaged per image_id
    (runs of one method score the same test images under the same masks).
    Single-seed keys pass through unchanged, in their order.
    """
    groups: dict[tuple[str, str, str], list[pd.DataFrame]] = {}
    for (dataset, maskset, run), frame in frames.items():
        groups.setdefault((dataset, maskset, split_run(run)[0]), []).append(frame)
    out = {}
    for key, group in groups.items():
        if len(group) == 1:
            out[key] = group[0]
            continue
        ids = [set(f["image_id"].astype(str)) for f in group]
        if any(i != ids[0] for i in ids):
            raise InpaintError(f"seed runs of {'/'.join(key)} scored different images")
        stacked = pd.concat([f.assign(image_id=f["image_id"].astype(str)) for f in group])
        numeric = [c for c in group[0].columns
                   if c != "image_id" and pd.api.types.is_numeric_dtype(group[0][c])]
        mean = stacked.groupby("image_id", sort=False)[numeric].mean().reset_index()
        order = group[0]["image_id"].astype(str)
        out[key] = mean.set_index("image_id").loc[order].reset_index()
    return out


def first_seed_runs(frames: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """method -> the run of its first seed in ``frames``' order (for completions on disk)."""
    out: dict[str, str] = {}
    for _, _, run in frames:
        out.setdefault(split_run(run)[0], run)
    return out


def seed_table(summary: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Mean ± std across seeds of each multi-seed method's per-run means.

    One row per (dataset, maskset, method) having seed runs; columns
    ``seeds`` (how many), ``m_mean`` and ``m_std`` for every metric. Empty
    (with those columns) when no method has seed runs.
    """
    columns = ["dataset", "maskset", "method", "seeds",
               *(f"{m}_{s}" for m in metrics for s in ("mean", "std"))]
    split = summary["method"].map(split_run)
    seeded = summary[[s is not None for _, s in split]].copy()
    if seeded.empty:
        return pd.DataFrame(columns=columns)
    seeded["base"] = [m for m, _ in split[seeded.index]]
    rows = []
    for (dataset, maskset, base), group in seeded.groupby(
            ["dataset", "maskset", "base"], sort=False):
        row = {"dataset": dataset, "maskset": maskset, "method": base, "seeds": len(group)}
        for m in metrics:
            values = group[f"{m}_mean"].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            row[f"{m}_mean"] = float(values.mean()) if values.size else math.nan
            row[f"{m}_std"] = float(values.std(ddof=1)) if values.size > 1 else math.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def seed_markdown(table: pd.DataFrame, metrics: Sequence[str]) -> str:
    lines = ["# Across training seeds", ""]
    if table.empty:
        lines.append("Single-seed run: set `seeds: [0, 1, 2]` in the config to train every "
                     "learned method once per seed and aggregate here.")
        return "\n".join(lines) + "\n"
    lines.append("Mean ± standard deviation across training seeds of each run's mean over "
                 "the test images (datasets and masks fixed by `seed`).")
    lines.append("")
    lines.append("| dataset | mask set | method | seeds | " + " | ".join(metrics) + " |")
    lines.append("|---|---|---|---|" + "---|" * len(metrics))
    for _, row in table.iterrows():
        cells = []
        for m in metrics:
            mean, std = row[f"{m}_mean"], row[f"{m}_std"]
            digits = 2 if m.startswith("psnr") else 4
            cells.append("" if not np.isfinite(mean) else
                         f"{mean:.{digits}f} ± {std:.{digits}f}" if np.isfinite(std) else
                         f"{mean:.{digits}f}")
        lines.append(f"| {row['dataset']} | {row['maskset']} | {row['method']} | "
                     f"{int(row['seeds'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
