"""Mask sets: the registry of mask kinds and the sets drawn from them.

Kinds, one module per family: center, box, irregular, pixels, half
(:mod:`inpaint.masks.shapes`); LaMa's protocols lama_thin / lama_medium / lama_thick
(:mod:`inpaint.masks.lama`); masks read from a folder, kind folder
(:mod:`inpaint.masks.folder`). Training-mask mixtures of these kinds:
:mod:`inpaint.masks.mixture`. A new kind is one function registered with
``@register_kind("name", defaults)`` in a family module imported below.

Convention (DESIGN.md §3): an 8-bit PNG of the image size, 255 = known pixel,
0 = hole. Generators return bool arrays, True = known. Every mask is seeded
from (seed, dataset, maskset, image id), so regenerating one mask, or the whole
set in any order, gives the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.errors import InpaintError
from inpaint.io import atomic_dir, read_mask, save_png
from inpaint.masks.kinds import MASK_KINDS, MaskKind, mask_rng, register_kind


def check_params(maskset: str, params: dict) -> dict:
    """Merge defaults and validate the block of one mask set; return the full parameters."""
    try:
        kind = MASK_KINDS.get(params.get("kind"))
    except InpaintError as exc:
        raise InpaintError(f"masks.{maskset}.kind: {exc}") from None
    return kind.full_params(maskset, params)


def make_mask(kind: str, params: dict, rng: np.random.Generator, size: int) -> np.ndarray:
    """One mask of ``kind`` with (full) ``params`` drawn from ``rng``."""
    return MASK_KINDS.get(kind).draw_one(rng, size, params)


def draw_maskset(image_ids: list[str], size: int, dataset: str, maskset: str, params: dict,
                 seed: int) -> tuple[dict[str, np.ndarray], dict[str, dict] | None]:
    """(masks by image id, extra manifest columns by image id or None) of one mask set."""
    full = check_params(maskset, params)
    return MASK_KINDS.get(full["kind"]).draw_set(image_ids, size, dataset, maskset, full, seed)


def generate_maskset(image_ids: list[str], size: int, dataset: str, maskset: str, params: dict,
                     seed: int) -> dict[str, np.ndarray]:
    return draw_maskset(image_ids, size, dataset, maskset, params, seed)[0]


def write_maskset(out_dir: str | os.PathLike, masks: dict[str, np.ndarray],
                  extra: dict[str, dict] | None = None) -> pd.DataFrame:
    """Write {image_id}.png (255 known / 0 hole) and manifest.csv atomically.

    ``extra`` adds columns per image id after image_id, hole_ratio (e.g. a folder
    mask set's source file, assignment and hole-ratio bin)."""
    rows = []
    with atomic_dir(out_dir) as tmp:
        for image_id, known in masks.items():
            save_png(tmp / f"{image_id}.png", np.where(known, 255, 0).astype(np.uint8))
            rows.append({"image_id": image_id, "hole_ratio": float(1.0 - known.mean()),
                         **(extra or {}).get(image_id, {})})
        columns = ["image_id", "hole_ratio"]
        columns += [c for c in (rows[0] if rows else {}) if c not in columns]
        manifest = pd.DataFrame(rows, columns=columns)
        manifest.to_csv(tmp / "manifest.csv", index=False)
    return manifest


def build_maskset(out_dir: str | os.PathLike, image_ids: list[str], size: int, dataset: str,
                  maskset: str, params: dict, seed: int) -> pd.DataFrame:
    """Generate (or, for kind folder, read) a mask set and write it with its manifest."""
    return write_maskset(out_dir, *draw_maskset(image_ids, size, dataset, maskset, params, seed))


def load_maskset(mask_dir: str | os.PathLike, image_ids: list[str],
                 shape: tuple[int, int]) -> np.ndarray:
    """Read the masks of ``image_ids`` (bool, True = known), validating each file."""
    mask_dir = Path(mask_dir)
    if not mask_dir.is_dir():
        raise InpaintError(f"mask set not found: {mask_dir}")
    out = np.empty((len(image_ids), *shape), dtype=bool)
    for i, image_id in enumerate(image_ids):
        path = mask_dir / f"{image_id}.png"
        if not path.is_file():
            raise InpaintError(
                f"mask set {mask_dir} has no mask for test image {image_id!r}: {path}"
            )
        out[i] = read_mask(path, shape)
    return out


# The built-in kinds register themselves (inpaint.masks.kinds) when imported, in this order:
# the order error messages list them in (kept out of isort's way).
from inpaint.masks import shapes, lama, folder  # noqa: E402, F401, I001
from inpaint.masks.shapes import (  # noqa: E402
    box_mask,
    center_mask,
    half_mask,
    irregular_mask,
    pixels_mask,
)

__all__ = [
    "MASK_KINDS", "MaskKind", "box_mask", "build_maskset", "center_mask", "check_params",
    "draw_maskset", "generate_maskset", "half_mask", "irregular_mask", "load_maskset",
    "make_mask", "mask_rng", "pixels_mask", "register_kind", "write_maskset",
]
