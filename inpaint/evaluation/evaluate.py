"""The evaluate step: results/completions -> results/metrics/{dataset}/{maskset}/{method}.csv.

Completions are checked against the results contract (every test image, known
pixels untouched) before anything is scored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.data.store import iter_split, load_info, load_split_ids
from inpaint.errors import InpaintError
from inpaint.io import read_image
from inpaint.masks import load_maskset


def check_completions(data_dir, mask_dir, completion_dir, batch_size: int = 256) -> list[str]:
    """Every test image has a completion PNG whose known pixels equal the real image.

    The results contract says completions are composited (x = M y + (1 - M) p);
    a method that changes known pixels would be scored on pixels it was given,
    so this is an error naming the first such file, not a silent fix.
    Test images and masks are read ``batch_size`` at a time (:func:`iter_split`), so
    memory does not grow with the test set. Errors come in the order of a whole-set
    check: missing completions first, then any bad mask, then the first bad completion.
    """
    completion_dir = Path(completion_dir)
    if not completion_dir.is_dir():
        raise InpaintError(f"completions folder not found: {completion_dir}")
    info = load_info(data_dir)
    ids = load_split_ids(data_dir, "test")
    missing = [i for i in ids if not (completion_dir / f"{i}.png").is_file()]
    if missing:
        raise InpaintError(
            f"{completion_dir} lacks completions for {len(missing)} test image(s), "
            f"e.g. {missing[0]}.png"
        )
    shape, end = (info.size, info.size), 0
    for chunk, reals in iter_split(data_dir, "test", batch_size):
        end += len(chunk)
        known = load_maskset(mask_dir, chunk, shape)
        try:
            _check_batch(completion_dir, chunk, reals, known, info.channels)
        except InpaintError:
            # a bad mask later in the set is still the error reported (every mask is
            # validated before any completion is compared)
            for rest in range(end, len(ids), batch_size):
                load_maskset(mask_dir, ids[rest:rest + batch_size], shape)
            raise
    return ids


def _check_batch(completion_dir: Path, ids, reals, known, channels: int) -> None:
    for image_id, real, keep in zip(ids, reals, known, strict=True):
        path = completion_dir / f"{image_id}.png"
        done = read_image(path, channels=channels)
        if done.shape != real.shape:
            raise InpaintError(
                f"completion {path} has shape {done.shape}, expected {real.shape}"
            )
        if not np.array_equal(done[keep], real[keep]):
            raise InpaintError(
                f"completion {path} changes known pixels; a method must composite its "
                "output: x = M * y + (1 - M) * prediction (mask 255 = known)"
            )


def evaluate_masksets(data_dir, mask_dirs, completion_dirs, out_paths,
                      use_lpips: bool = True, use_st_lpips: bool = True,
                      pm1_hole: bool = False, *, lpips_weights=None,
                      use_lpips_vgg: bool = False,
                      lpips_vgg_weights=None) -> list[pd.DataFrame]:
    """Score methods' completions of several mask sets of one dataset; write one
    per-image metrics CSV per (mask set, method) (:mod:`inpaint.evaluation.scoring`).

    ``completion_dirs`` and ``out_paths`` come in blocks of equal size, one block per
    mask set in the order of ``mask_dirs`` (mask set 0's methods, then mask set 1's, ...).
    Every folder is checked (:func:`check_completions`) before any CSV is written, and
    the perceptual networks are loaded once for all of them (their import costs seconds).
    ``pm1_hole``: also the hole L1 / L2 on the [-1, 1] scale (``add_pm1_hole``).
    ``lpips_weights`` / ``lpips_vgg_weights``: the ImageNet AlexNet / VGG16 backbone files
    (default: ``lpips_weights_path``); missing ones are an InpaintError.
    """
    mask_dirs, completion_dirs, out_paths = list(mask_dirs), list(completion_dirs), list(out_paths)
    if len(completion_dirs) != len(out_paths):
        raise InpaintError("evaluate: give one output CSV per completions folder")
    if not mask_dirs or len(completion_dirs) % len(mask_dirs):
        raise InpaintError(f"evaluate: {len(completion_dirs)} completions folders do not split "
                           f"into {len(mask_dirs)} equal blocks, one per mask set")
    per_set = len(completion_dirs) // len(mask_dirs)
    jobs = [(mask_dirs[i // per_set], folder, out)
            for i, (folder, out) in enumerate(zip(completion_dirs, out_paths, strict=True))]
    return _score_jobs(data_dir, jobs, use_lpips, use_st_lpips, pm1_hole,
                       lpips_weights=lpips_weights, use_lpips_vgg=use_lpips_vgg,
                       lpips_vgg_weights=lpips_vgg_weights)


def _score_jobs(data_dir, jobs, use_lpips, use_st_lpips, pm1_hole, *, lpips_weights,
                use_lpips_vgg, lpips_vgg_weights) -> list[pd.DataFrame]:
    """Score (mask folder, completions folder, output CSV) triples; write the CSVs at the end."""
    from inpaint.evaluation.metrics_csv import write_metrics
    from inpaint.evaluation.perceptual import load_perceptual
    from inpaint.evaluation.scoring import score_files

    ids = [check_completions(data_dir, mask_dir, folder) for mask_dir, folder, _ in jobs]
    models = load_perceptual(use_lpips, use_st_lpips, use_lpips_vgg=use_lpips_vgg,
                             lpips_weights=lpips_weights, lpips_vgg_weights=lpips_vgg_weights)
    frames = [score_files(Path(data_dir) / "test", folder, mask_dir, image_ids, use_lpips,
                          use_st_lpips=use_st_lpips, models=models, pm1_hole=pm1_hole)
              for (mask_dir, folder, _), image_ids in zip(jobs, ids, strict=True)]
    for frame, (_, _, out_path) in zip(frames, jobs, strict=True):
        write_metrics(out_path, frame)
    return frames
