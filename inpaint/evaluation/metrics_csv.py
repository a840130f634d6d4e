"""The per-image metrics CSV: results/metrics/{dataset}/{maskset}/{method}.csv (DESIGN §3).

Columns: :data:`CSV_COLUMNS` first in their fixed order, further metric
columns (lpips_vgg, st_lpips, l1_hole_pm1, ...) after them, and
:data:`BORDER_COLUMN` last. NaN is written empty, inf as ``inf``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from inpaint.errors import InpaintError
from inpaint.io import write_csv

METRIC_COLUMNS = (
    "psnr", "psnr_hole", "ssim", "ssim_hole", "l1", "l2", "l1_hole", "l2_hole", "lpips",
)
CSV_COLUMNS = ("image_id", "hole_ratio", *METRIC_COLUMNS)
# L1 on the hole's border band (inpaint.evaluation.pixel_metrics.border_l1): scored for
# the claims page's blending claim, not a column of the summary tables
BORDER_COLUMN = "l1_border"


def write_metrics(path: str | os.PathLike, df: pd.DataFrame) -> None:
    """Write a per-image metrics frame as CSV atomically.

    The :data:`CSV_COLUMNS` come first in their fixed order, further metric
    columns (st_lpips, ...) after them, :data:`BORDER_COLUMN` last; NaN is
    written empty, inf as ``inf``.
    """
    missing = [c for c in CSV_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"metrics frame lacks columns {missing}")
    extra = [c for c in df.columns if c not in CSV_COLUMNS and c != BORDER_COLUMN]
    last = [BORDER_COLUMN] if BORDER_COLUMN in df.columns else []
    write_csv(path, df[[*CSV_COLUMNS, *extra, *last]])


def read_metrics(path: str | os.PathLike) -> pd.DataFrame:
    """Read a per-image metrics CSV (image_id as str; inf and empty parsed as floats)."""
    path = Path(path)
    if not path.is_file():
        raise InpaintError(f"metrics file not found: {path}")
    frame = pd.read_csv(path, dtype={"image_id": str})
    missing = [c for c in CSV_COLUMNS if c not in frame.columns]
    if missing:
        raise InpaintError(f"metrics file {path} lacks columns {missing}")
    return frame


def metric_key(path: str | os.PathLike) -> tuple[str, str, str]:
    """(dataset, maskset, method) of results/metrics/{dataset}/{maskset}/{method}.csv."""
    path = Path(path)
    if path.suffix != ".csv" or len(path.parts) < 3:
        raise InpaintError(
            f"metrics file {path} is not laid out as .../{{dataset}}/{{maskset}}/{{method}}.csv"
        )
    return path.parent.parent.name, path.parent.name, path.stem


def read_metric_frames(paths) -> dict[tuple[str, str, str], pd.DataFrame]:
    """Per-image metrics CSVs keyed by (dataset, maskset, method) (:func:`metric_key`);
    a key given twice is an InpaintError naming the second file."""
    frames = {}
    for path in paths:
        key = metric_key(path)
        if key in frames:
            raise InpaintError(f"metrics for {'/'.join(key)} given twice ({path})")
        frames[key] = read_metrics(path)
    return frames
