"""Score a method on the validation split, for tuning (never on the test split).

Masks for validation images come from the same generators as the evaluation
mask sets, seeded under the mask-set name prefixed with "val-", so they are
reproducible and differ from the test masks.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from inpaint.data.store import load_info, load_split
from inpaint.masks import generate_maskset
from inpaint.methods import InpaintMethod, complete_batch

DEFAULT_MASKSETS = {
    "center": {"kind": "center", "scale": 0.5},
    "box": {"kind": "box"},
    "irregular": {"kind": "irregular"},
    "pixels": {"kind": "pixels", "p": 0.8},
}


def validation_scores(method: InpaintMethod, data_dir: str | os.PathLike,
                      masksets: dict[str, dict] | None = None, seed: int = 0,
                      n: int | None = 256, batch_size: int = 64) -> pd.DataFrame:
    """Mean metrics of ``method`` on (up to ``n``) validation images per mask set.

    Returns one row per mask set: maskset, n, psnr, psnr_hole, ssim, ssim_hole,
    l1_hole, l2_hole (means over images; no LPIPS).
    """
    from inpaint.metrics import score_images

    info = load_info(data_dir)
    ids, images = load_split(data_dir, "val")
    if n is not None:
        ids, images = ids[:n], images[:n]
    rows = []
    for name, params in (masksets or DEFAULT_MASKSETS).items():
        masks = generate_maskset(ids, info.size, info.name, f"val-{name}", params, seed)
        known = np.stack([masks[i] for i in ids])
        done = np.concatenate([
            complete_batch(method, images[s:s + batch_size], known[s:s + batch_size])
            for s in range(0, len(ids), batch_size)
        ])
        scores = score_images(images, done, known)
        row = {"maskset": name, "n": len(ids)}
        for col in ["psnr", "psnr_hole", "ssim", "ssim_hole", "l1_hole", "l2_hole"]:
            row[col] = float(np.nanmean(np.minimum(scores[col].to_numpy(), 100.0)))
        rows.append(row)
    return pd.DataFrame(rows)
