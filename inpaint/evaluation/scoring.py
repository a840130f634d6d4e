"""Per-image scores of completions on the saved 8-bit PNGs (DESIGN §6).

Every metric is computed from uint8 images converted to float64 in [0, 1], so
anyone can re-score the PNGs in ``results/completions`` with another tool.
The columns, in the order of a per-image metrics CSV
(:mod:`inpaint.evaluation.metrics_csv`), and where each is defined:

* psnr, psnr_hole, ssim, ssim_hole, l1, l2, l1_hole, l2_hole:
  :mod:`inpaint.evaluation.pixel_metrics` (SSIM: :mod:`inpaint.evaluation.ssim`);
* lpips, lpips_vgg, st_lpips: :mod:`inpaint.evaluation.perceptual`;
* l1_hole_pm1, l2_hole_pm1 (optional) and l1_border:
  :mod:`inpaint.evaluation.pixel_metrics`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.errors import InpaintError
from inpaint.evaluation.metrics_csv import BORDER_COLUMN, METRIC_COLUMNS
from inpaint.evaluation.perceptual import (
    LPIPS_VGG_MIN_SIZE,
    PerceptualModels,
    load_perceptual,
    lpips_scores,
)
from inpaint.evaluation.pixel_metrics import (
    add_pm1_hole,
    border_l1,
    check_inputs,
    hole_ratio,
    pixel_scores,
)
from inpaint.io import read_image, read_mask


def score_images(
    reals: np.ndarray,
    completions: np.ndarray,
    known: np.ndarray,
    lpips_model=None,
    *,
    st_lpips_model=None,
    lpips_vgg_model=None,
    batch_size: int | None = None,
) -> pd.DataFrame:
    """Score a batch: uint8 (N, H, W, C) reals and completions, bool (N, H, W) masks.

    Returns a DataFrame with one row per image and the columns
    ``psnr, psnr_hole, ssim, ssim_hole, l1, l2, l1_hole, l2_hole, lpips`` (in
    that order). ``lpips`` is NaN unless a model from ``load_lpips`` is given;
    with ``lpips_vgg_model`` (``load_lpips(net='vgg')``) a further column
    ``lpips_vgg``, with ``st_lpips_model`` (``load_st_lpips``) ``st_lpips``.
    ``batch_size``: images per vectorised chunk (:func:`pixel_scores`).
    """
    reals, completions, known = check_inputs(reals, completions, known)
    n = reals.shape[0]
    columns = pixel_scores(reals, completions, known, batch_size)
    if lpips_model is not None and n:
        columns["lpips"] = lpips_scores(lpips_model, reals, completions)
    else:
        columns["lpips"] = np.full(n, np.nan)
    order = list(METRIC_COLUMNS)
    if lpips_vgg_model is not None:
        columns["lpips_vgg"] = (lpips_scores(lpips_vgg_model, reals, completions,
                                             name="lpips_vgg", min_size=LPIPS_VGG_MIN_SIZE)
                                if n else np.empty(0))
        order.append("lpips_vgg")
    if st_lpips_model is not None:
        columns["st_lpips"] = (lpips_scores(st_lpips_model, reals, completions, name="st_lpips")
                               if n else np.empty(0))
        order.append("st_lpips")
    return pd.DataFrame(columns, columns=order)


def score_files(
    real_dir: str | os.PathLike,
    completion_dir: str | os.PathLike,
    mask_dir: str | os.PathLike,
    ids: Sequence[str],
    use_lpips: bool,
    *,
    use_st_lpips: bool = False,
    device: str = "cpu",
    batch_size: int = 256,
    models: PerceptualModels | None = None,
    pm1_hole: bool = False,
) -> pd.DataFrame:
    """Score ``{dir}/{image_id}.png`` for every id; return the per-image metrics frame.

    Columns: ``image_id, hole_ratio, psnr, ..., lpips`` (``CSV_COLUMNS``), the
    optional perceptual ones, ``l1_hole_pm1, l2_hole_pm1`` with ``pm1_hole``
    (:func:`add_pm1_hole`), and :data:`BORDER_COLUMN` (:func:`border_l1`).
    A completion is read with the channel count of its real image (a grey
    dataset's completion saved as RGB is converted to grey). Missing or
    unreadable files and size mismatches raise :class:`InpaintError` naming
    the file. With ``use_lpips`` and no ImageNet AlexNet weights it is an
    :class:`InpaintError` naming the file (``load_lpips``); without
    ``use_lpips`` the lpips column is NaN. ``frame.attrs["lpips_status"]``
    says which. With ``use_st_lpips`` a column ``st_lpips`` follows
    (``load_st_lpips``); an ``lpips_vgg`` column comes from ``models``.
    ``models`` (from :func:`load_perceptual`) reuses networks loaded once for
    several calls.
    """
    ids = [str(i) for i in ids]
    if not ids:
        raise InpaintError(f"no image ids to score in {completion_dir}")
    real_dir, completion_dir, mask_dir = Path(real_dir), Path(completion_dir), Path(mask_dir)
    if models is None:
        models = load_perceptual(use_lpips, use_st_lpips, device)
    model, status, st_model = models.lpips, models.lpips_status, models.st_lpips
    frames = []
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        reals, comps, masks = [], [], []
        for image_id in chunk:
            real = read_image(real_dir / f"{image_id}.png")
            comp_path = completion_dir / f"{image_id}.png"
            comp = read_image(comp_path, channels=real.shape[2])
            if comp.shape != real.shape:
                raise InpaintError(
                    f"completion {comp_path} has size {comp.shape[1]}x{comp.shape[0]}, "
                    f"expected {real.shape[1]}x{real.shape[0]} like its real image"
                )
            masks.append(read_mask(mask_dir / f"{image_id}.png", shape=real.shape[:2]))
            reals.append(real)
            comps.append(comp)
        try:
            reals_arr, comps_arr = np.stack(reals), np.stack(comps)
        except ValueError as exc:
            raise InpaintError(
                f"real images in {real_dir} do not all have the same size: {exc}"
            ) from exc
        known = np.stack(masks)
        frame = score_images(reals_arr, comps_arr, known, lpips_model=model,
                             st_lpips_model=st_model, lpips_vgg_model=models.lpips_vgg)
        if pm1_hole:
            frame = add_pm1_hole(frame)
        frame[BORDER_COLUMN] = border_l1(reals_arr, comps_arr, known)
        frame.insert(0, "hole_ratio", hole_ratio(known))
        frame.insert(0, "image_id", chunk)
        frames.append(frame)
    result = pd.concat(frames, ignore_index=True)
    result.attrs["lpips_status"] = status
    return result
