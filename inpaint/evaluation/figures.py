"""Figure grids as in the papers: rows real / corrupted / one row per method
(results/figures/{dataset}/{maskset}.png, :func:`make_figure`).

The corrupted row shows the hole filled with mid-grey (:data:`HOLE_FILL`,
value 128 in every channel), for grey and RGB images alike: white holes vanish
on white backgrounds (fonts, documents) and black ones on dark images. Images
are drawn at their own pixels (nearest interpolation, no smoothing), 0-255
(grey images with the ``gray`` colour map, vmin 0, vmax 255), without axes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from inpaint.data.store import load_info, load_split
from inpaint.errors import InpaintError
from inpaint.io import atomic_path, read_image
from inpaint.masks import load_maskset

HOLE_FILL = 128  # mid-grey, every channel
CELL_INCHES = 1.0
GAP_INCHES = 0.04
MIN_DPI = 100


def _as_images(array: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"{name} must be uint8, got {array.dtype}")
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3):
        raise ValueError(f"{name} must have shape (N, H, W, 1 or 3), got {array.shape}")
    return array


def corrupt(real: np.ndarray, known: np.ndarray, fill: int = HOLE_FILL) -> np.ndarray:
    """uint8 images with the hole pixels (known == False) set to ``fill`` in every channel."""
    real = _as_images(real, "real")
    out = real.copy()
    out[~np.asarray(known, dtype=bool)] = fill
    return out


def figure_grid(
    real: np.ndarray,
    masks: np.ndarray,
    rows: Mapping[str, np.ndarray],
    out_path: str | os.PathLike,
    title: str | None = None,
    n_cols: int = 8,
) -> Path:
    """Save a PNG grid: row "real", row "corrupted", then one row per entry of ``rows``.

    ``real`` and every ``rows[label]`` are uint8 (N, H, W, C) with C 1 or 3
    (or (N, H, W)); ``masks`` bool (N, H, W), True = known. The first
    ``min(n_cols, N)`` images are shown, one per column; row labels on the
    left, in the given order. Written atomically; returns the path.
    """
    real = _as_images(real, "real")
    masks = np.asarray(masks)
    if masks.dtype != np.bool_ or masks.shape != real.shape[:3]:
        raise ValueError(
            f"masks must be bool with shape {real.shape[:3]}, got {masks.dtype} {masks.shape}"
        )
    n = real.shape[0]
    if n == 0:
        raise ValueError("figure_grid needs at least one image")
    if n_cols < 1:
        raise ValueError(f"n_cols must be at least 1, got {n_cols}")
    grid: list[tuple[str, np.ndarray]] = [("real", real), ("corrupted", corrupt(real, masks))]
    for label, images in rows.items():
        images = _as_images(images, f"row {label!r}")
        if images.shape[:3] != real.shape[:3]:
            raise ValueError(
                f"row {label!r} has shape {images.shape}, expected {real.shape[:3]} + (C,)"
            )
        grid.append((str(label), images))

    from matplotlib.figure import Figure

    cols = min(n_cols, n)
    height, width = real.shape[1:3]
    cell_w = CELL_INCHES
    cell_h = CELL_INCHES * height / width
    label_w = max(0.8, 0.085 * max(len(label) for label, _ in grid) + 0.25)
    title_h = 0.45 if title else 0.0
    fig_w = label_w + cols * (cell_w + GAP_INCHES) + GAP_INCHES
    fig_h = title_h + len(grid) * (cell_h + GAP_INCHES) + GAP_INCHES
    dpi = max(MIN_DPI, int(np.ceil(max(height, width) / CELL_INCHES)))

    fig = Figure(figsize=(fig_w, fig_h), dpi=dpi, facecolor="white")
    if title:
        fig.text(0.5, 1 - (title_h / 2) / fig_h, title, ha="center", va="center", fontsize=12)
    for r, (label, images) in enumerate(grid):
        top = fig_h - title_h - GAP_INCHES - r * (cell_h + GAP_INCHES)
        bottom = top - cell_h
        fig.text((label_w - 0.1) / fig_w, (bottom + cell_h / 2) / fig_h, label,
                 ha="right", va="center", fontsize=10)
        for c in range(cols):
            left = label_w + c * (cell_w + GAP_INCHES)
            ax = fig.add_axes((left / fig_w, bottom / fig_h, cell_w / fig_w, cell_h / fig_h))
            image = images[c]
            if image.shape[-1] == 1:
                ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255,
                          interpolation="nearest")
            else:
                ax.imshow(image, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
    out_path = Path(out_path)
    with atomic_path(out_path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, facecolor="white")
    return out_path


def make_figure(data_dir, mask_dir, completion_dirs: dict[str, str | os.PathLike], out_path,
                n_cols: int = 8, title: str | None = None) -> None:
    """Figure grid of the first n_cols test images: real / corrupted / one row per method."""
    info = load_info(data_dir)
    ids, reals = load_split(data_dir, "test")
    ids, reals = ids[:n_cols], reals[:n_cols]
    known = load_maskset(mask_dir, ids, (info.size, info.size))
    rows = {}
    for label, folder in completion_dirs.items():
        paths = [Path(folder) / f"{image_id}.png" for image_id in ids]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise InpaintError(f"figure: completion {missing[0]} not found")
        rows[label] = np.stack([read_image(p, channels=info.channels) for p in paths])
    title = title or f"{info.label} / {Path(mask_dir).name}"
    figure_grid(reals, known, rows, out_path, title=title, n_cols=n_cols)
