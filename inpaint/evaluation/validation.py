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
from inpaint.evaluation.summary import PSNR_CAP
from inpaint.masks import generate_maskset
from inpaint.methods import InpaintMethod, complete_batch, complete_batch_with_raw

DEFAULT_MASKSETS = {
    "center": {"kind": "center", "scale": 0.5},
    "box": {"kind": "box"},
    "irregular": {"kind": "irregular"},
    "pixels": {"kind": "pixels", "p": 0.8},
}


VALIDATION_METRICS = ("psnr", "psnr_hole", "ssim", "ssim_hole", "l1", "l2", "l1_hole", "l2_hole")


def validation_frame(method: InpaintMethod, data_dir: str | os.PathLike,
                     masksets: dict[str, dict] | None = None, seed: int = 0,
                     n: int | None = 256, batch_size: int = 64) -> pd.DataFrame:
    """Per-image metrics of ``method`` on (up to ``n``) validation images per mask set.

    One row per (mask set, image): maskset, image_id, hole_ratio, then
    score_images' columns (psnr, psnr_hole, ssim, ssim_hole, l1, l2, l1_hole,
    l2_hole; no LPIPS), PSNR as measured (inf for an exact fill).
    """
    return validation_frames(method, data_dir, masksets, seed, n, batch_size)[0]


def validation_frames(method: InpaintMethod, data_dir: str | os.PathLike,
                      masksets: dict[str, dict] | None = None, seed: int = 0,
                      n: int | None = 256, batch_size: int = 64,
                      with_raw: bool = False) -> list[pd.DataFrame]:
    """[:func:`validation_frame`], or with ``with_raw`` also its ``{name}_raw`` variant's
    from the same pass (``complete_batch_with_raw``: yeh_dcgan's one latent search)."""
    from inpaint.evaluation.scoring import score_images

    info = load_info(data_dir)
    ids, images = load_split(data_dir, "val")
    if n is not None:
        ids, images = ids[:n], images[:n]
    n_out = 2 if with_raw else 1
    if not len(ids):  # a dataset without a validation split: nothing to choose on
        return [pd.DataFrame(columns=["maskset", "image_id", "hole_ratio", *VALIDATION_METRICS])
                for _ in range(n_out)]
    parts: list[list[pd.DataFrame]] = [[] for _ in range(n_out)]
    for name, params in (masksets or DEFAULT_MASKSETS).items():
        masks = generate_maskset(ids, info.size, info.name, f"val-{name}", params, seed)
        known = np.stack([masks[i] for i in ids])
        batches = [
            complete_batch_with_raw(method, images[s:s + batch_size], known[s:s + batch_size])
            if with_raw else
            (complete_batch(method, images[s:s + batch_size], known[s:s + batch_size]),)
            for s in range(0, len(ids), batch_size)
        ]
        for k in range(n_out):
            done = np.concatenate([b[k] for b in batches])
            scores = score_images(images, done, known).drop(columns=["lpips"], errors="ignore")
            scores.insert(0, "hole_ratio", 1.0 - known.reshape(len(ids), -1).mean(axis=1))
            scores.insert(0, "image_id", ids)
            scores.insert(0, "maskset", name)
            parts[k].append(scores)
    return [pd.concat(p, ignore_index=True) for p in parts]


def validation_scores(method: InpaintMethod, data_dir: str | os.PathLike,
                      masksets: dict[str, dict] | None = None, seed: int = 0,
                      n: int | None = 256, batch_size: int = 64) -> pd.DataFrame:
    """Mean metrics of ``method`` on (up to ``n``) validation images per mask set.

    Returns one row per mask set: maskset, n, psnr, psnr_hole, ssim, ssim_hole,
    l1_hole, l2_hole (means over images, PSNR capped at 100 dB; no LPIPS).
    """
    frame = validation_frame(method, data_dir, masksets, seed, n, batch_size)
    rows = []
    for name, scores in frame.groupby("maskset", sort=False):
        row = {"maskset": name, "n": len(scores)}
        for col in ["psnr", "psnr_hole", "ssim", "ssim_hole", "l1_hole", "l2_hole"]:
            row[col] = float(np.nanmean(np.minimum(scores[col].to_numpy(float), PSNR_CAP)))
        rows.append(row)
    return pd.DataFrame(rows)


def write_validation(method: InpaintMethod, data_dir: str | os.PathLike,
                     out_path: str | os.PathLike, masksets: dict[str, dict] | None = None,
                     seed: int = 0, n: int | None = 32, batch_size: int = 64,
                     raw_out: str | os.PathLike | None = None) -> pd.DataFrame:
    """:func:`validation_frame` written atomically as a CSV (results/validation/{d}/{m}.csv);
    with ``raw_out`` also the ``{name}_raw`` variant's, from the same pass."""
    from inpaint.io import write_csv

    frames = validation_frames(method, data_dir, masksets, seed, n, batch_size,
                               with_raw=raw_out is not None)
    for frame, path in zip(frames, [out_path, raw_out], strict=False):
        write_csv(path, frame)
    return frames[0]


def read_validation(paths) -> dict[str, dict[str, pd.DataFrame]]:
    """dataset -> method -> frame, from results/validation/{dataset}/{method}.csv paths."""
    from pathlib import Path

    from inpaint.errors import InpaintError

    out: dict[str, dict[str, pd.DataFrame]] = {}
    for path in map(Path, paths):
        if path.suffix != ".csv":
            raise InpaintError(f"validation scores {path}: expected {{dataset}}/{{method}}.csv")
        try:
            frame = pd.read_csv(path, dtype={"image_id": str, "maskset": str})
        except (OSError, ValueError) as exc:
            raise InpaintError(f"validation scores {path}: cannot read: {exc}") from None
        missing = {"maskset", "image_id", "hole_ratio", "psnr_hole"} - set(frame.columns)
        if missing:
            raise InpaintError(f"validation scores {path} lack column(s) {sorted(missing)}")
        out.setdefault(path.parent.name, {})[path.stem] = frame
    return out
