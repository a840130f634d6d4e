"""Glue from the results layout to metrics, tables and figures.

    results/metrics/{dataset}/{maskset}/{method}.csv   <- evaluate_completions
    results/tables/...                                 <- make_tables
    results/figures/{dataset}/{maskset}.png            <- make_figure
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.data.store import load_info, load_split
from inpaint.errors import InpaintError
from inpaint.io import read_image
from inpaint.masks import load_maskset


def _test_ids(data_dir: str | os.PathLike) -> list[str]:
    ids, _ = load_split(data_dir, "test")
    return ids


def check_completions(data_dir, mask_dir, completion_dir) -> list[str]:
    """Every test image has a completion PNG whose known pixels equal the real image.

    The results contract says completions are composited (x = M y + (1 - M) p);
    a method that changes known pixels would be scored on pixels it was given,
    so this is an error naming the first such file, not a silent fix.
    """
    completion_dir = Path(completion_dir)
    if not completion_dir.is_dir():
        raise InpaintError(f"completions folder not found: {completion_dir}")
    info = load_info(data_dir)
    ids, reals = load_split(data_dir, "test")
    missing = [i for i in ids if not (completion_dir / f"{i}.png").is_file()]
    if missing:
        raise InpaintError(
            f"{completion_dir} lacks completions for {len(missing)} test image(s), "
            f"e.g. {missing[0]}.png"
        )
    known = load_maskset(mask_dir, ids, (info.size, info.size))
    for image_id, real, keep in zip(ids, reals, known, strict=True):
        path = completion_dir / f"{image_id}.png"
        done = read_image(path, channels=info.channels)
        if done.shape != real.shape:
            raise InpaintError(
                f"completion {path} has shape {done.shape}, expected {real.shape}"
            )
        if not np.array_equal(done[keep], real[keep]):
            raise InpaintError(
                f"completion {path} changes known pixels; a method must composite its "
                "output: x = M * y + (1 - M) * prediction (mask 255 = known)"
            )
    return ids


def evaluate_completions(data_dir, mask_dir, completion_dir, out_path,
                         use_lpips: bool = True) -> pd.DataFrame:
    """Score one method's completions of one mask set; write the per-image CSV."""
    from inpaint.metrics import score_files, write_metrics

    ids = check_completions(data_dir, mask_dir, completion_dir)
    frame = score_files(Path(data_dir) / "test", completion_dir, mask_dir, ids, use_lpips)
    write_metrics(out_path, frame)
    return frame
