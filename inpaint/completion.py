"""Complete every test image of a prepared dataset under one or several mask sets."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from inpaint.data.store import load_info, load_split
from inpaint.errors import InpaintError
from inpaint.io import atomic_dir, read_image, read_mask, save_png
from inpaint.masks import load_maskset
from inpaint.methods import InpaintMethod, complete_batch, complete_batch_with_raw


def complete_set(method: InpaintMethod, data_dir: str | os.PathLike, mask_dir: str | os.PathLike,
                 out_dir: str | os.PathLike, batch_size: int = 64, progress: bool = False,
                 raw_out: str | os.PathLike | None = None) -> int:
    """Write results/completions/.../{image_id}.png for every test image; return the count.

    ``raw_out``: also write the ``{method}_raw`` variant's completions there, from the
    same pass (methods with ``completes_raw_variant``, e.g. one latent search for
    yeh_dcgan and yeh_dcgan_raw). Both folders appear together or not at all.
    """
    return complete_sets(method, data_dir, [mask_dir], [out_dir], batch_size, progress,
                         None if raw_out is None else [raw_out])


def complete_sets(method: InpaintMethod, data_dir: str | os.PathLike,
                  mask_dirs: Sequence[str | os.PathLike], out_dirs: Sequence[str | os.PathLike],
                  batch_size: int = 64, progress: bool = False,
                  raw_outs: Sequence[str | os.PathLike] | None = None) -> int:
    """:func:`complete_set` for several mask sets of one dataset in one process.

    The method (and its model) is loaded once for all of them: a learned method's
    completion job is mostly start-up (importing torch, loading the model). Mask set
    ``mask_dirs[i]`` is written to ``out_dirs[i]`` (and ``raw_outs[i]``); every
    folder appears together with the others or none does. Returns the images per set.
    """
    if len(mask_dirs) != len(out_dirs) or (raw_outs is not None
                                           and len(raw_outs) != len(out_dirs)):
        raise InpaintError(f"complete-set: {len(mask_dirs)} mask folders, {len(out_dirs)} "
                           "output folders" + ("" if raw_outs is None else
                                               f" and {len(raw_outs)} raw output folders")
                           + ": give one of each per mask set")
    if raw_outs is not None and not method.completes_raw_variant:
        raise InpaintError(f"method {method.name!r} cannot complete {method.name}_raw in the "
                           "same pass (no raw variant): drop --raw-out")
    info = load_info(data_dir)
    ids, images = load_split(data_dir, "test")
    knowns = [load_maskset(mask_dir, ids, (info.size, info.size)) for mask_dir in mask_dirs]
    with contextlib.ExitStack() as stack:
        for i, known in enumerate(knowns):
            tmp = stack.enter_context(atomic_dir(out_dirs[i]))
            raw_tmp = stack.enter_context(atomic_dir(raw_outs[i])) if raw_outs else None
            batches = range(0, len(ids), batch_size)
            if progress:
                from tqdm import tqdm

                batches = tqdm(batches, desc=f"complete {method.name} {Path(mask_dirs[i]).name}",
                               unit="batch", file=None)
            for start in batches:
                stop = start + batch_size
                if raw_tmp is None:
                    outputs = [(tmp, complete_batch(method, images[start:stop],
                                                    known[start:stop]))]
                else:
                    done, raw = complete_batch_with_raw(method, images[start:stop],
                                                        known[start:stop])
                    outputs = [(tmp, done), (raw_tmp, raw)]
                for folder, batch in outputs:
                    for image_id, image in zip(ids[start:stop], batch, strict=True):
                        save_png(folder / f"{image_id}.png", image)
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
