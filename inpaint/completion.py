"""Complete every test image of a prepared dataset under one mask set."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from inpaint.data.store import load_info, load_split
from inpaint.errors import InpaintError
from inpaint.io import atomic_dir, read_image, read_mask, save_png
from inpaint.masks import load_maskset
from inpaint.methods import InpaintMethod, complete_batch


def complete_set(method: InpaintMethod, data_dir: str | os.PathLike, mask_dir: str | os.PathLike,
                 out_dir: str | os.PathLike, batch_size: int = 64, progress: bool = False) -> int:
    """Write results/completions/.../{image_id}.png for every test image; return the count."""
    info = load_info(data_dir)
    ids, images = load_split(data_dir, "test")
    known = load_maskset(mask_dir, ids, (info.size, info.size))
    batches = range(0, len(ids), batch_size)
    if progress:
        from tqdm import tqdm

        batches = tqdm(batches, desc=f"complete {method.name}", unit="batch", file=None)
    with atomic_dir(out_dir) as tmp:
        for start in batches:
            stop = start + batch_size
            done = complete_batch(method, images[start:stop], known[start:stop])
            for image_id, image in zip(ids[start:stop], done, strict=True):
                save_png(tmp / f"{image_id}.png", image)
    return len(ids)


def complete_file(method: InpaintMethod, image_path: str | os.PathLike,
                  mask_path: str | os.PathLike, out_path: str | os.PathLike,
                  channels: int | None = None) -> np.ndarray:
    """Complete one user image with its mask (255 known / 0 hole) and save the PNG."""
    image = read_image(image_path, channels)
    known = read_mask(mask_path, image.shape[:2])
    if Path(out_path).suffix.lower() != ".png":
        raise InpaintError(f"output must be a .png file (lossless), got {out_path}")
    done = complete_batch(method, image[None], known[None])[0]
    save_png(out_path, done)
    return done
