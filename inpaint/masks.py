"""Mask sets: center, box, irregular (free-form strokes), pixels and half; LaMa's
protocols lama_thin / lama_medium / lama_thick (inpaint.masks_lama) and masks read
from a folder, kind folder (inpaint.masks_folder).

Convention (DESIGN.md §3): an 8-bit PNG of the image size, 255 = known pixel,
0 = hole. Generators return bool arrays, True = known. Every mask is seeded
from (seed, dataset, maskset, image id), so regenerating one mask, or the whole
set in any order, gives the same bytes.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.errors import InpaintError
from inpaint.io import atomic_dir, read_mask, save_png
from inpaint.masks_folder import DEFAULTS as FOLDER_DEFAULTS

MaskFn = Callable[[np.random.Generator, int], np.ndarray]

# Defaults per kind (DESIGN.md §5). Widths/lengths of strokes are given at a
# 256 px reference and scaled to the image size.
DEFAULTS: dict[str, dict] = {
    "center": {"scale": 0.5},
    "box": {"min_boxes": 1, "max_boxes": 2, "min_side": 0.25, "max_side": 0.5},
    "irregular": {
        "min_strokes": 1, "max_strokes": 3, "min_vertices": 4, "max_vertices": 11,
        "min_width": 12, "max_width": 40, "min_hole_ratio": 0.01, "max_hole_ratio": 0.6,
    },
    "pixels": {"p": 0.8},
    "half": {"fraction": 0.5},
    # LaMa's protocols: parameters fixed by LaMa's configs (inpaint.masks_lama)
    "lama_thin": {},
    "lama_medium": {},
    "lama_thick": {},
    # masks from files; its own keys and checks (inpaint.masks_folder)
    "folder": FOLDER_DEFAULTS,
}
HALF_SIDES = ("left", "right", "top", "bottom")


def mask_rng(seed: int, dataset: str, maskset: str, image_id: str) -> np.random.Generator:
    """A generator seeded from a stable hash of (seed, dataset, maskset, image id)."""
    key = f"{seed}/{dataset}/{maskset}/{image_id}".encode()
    words = np.frombuffer(hashlib.sha256(key).digest(), dtype=np.uint32)
    return np.random.default_rng(np.random.SeedSequence(words.tolist()))


def center_mask(size: int, scale: float = 0.5) -> np.ndarray:
    """A centred square hole of side round(scale * size) (0.5 -> 25% of the area)."""
    side = round(scale * size)
    known = np.ones((size, size), dtype=bool)
    start = (size - side) // 2
    known[start:start + side, start:start + side] = False
    return known


def box_mask(rng: np.random.Generator, size: int, min_boxes: int = 1, max_boxes: int = 2,
             min_side: float = 0.25, max_side: float = 0.5) -> np.ndarray:
    """1..k axis-aligned rectangles, each side uniform in [min_side, max_side] x size."""
    known = np.ones((size, size), dtype=bool)
    lo, hi = max(1, round(min_side * size)), max(1, round(max_side * size))
    for _ in range(int(rng.integers(min_boxes, max_boxes + 1))):
        h, w = (int(v) for v in rng.integers(lo, hi + 1, size=2))
        top = int(rng.integers(0, size - h + 1))
        left = int(rng.integers(0, size - w + 1))
        known[top:top + h, left:left + w] = False
    return known


def _strokes(rng: np.random.Generator, size: int, min_strokes: int, max_strokes: int,
             min_vertices: int, max_vertices: int, min_width: float,
             max_width: float) -> np.ndarray:
    """Free-form brush strokes after DeepFill v2, scaled from a 256 px reference."""
    import cv2

    hole = np.zeros((size, size), dtype=np.uint8)
    scale = size / 256.0
    mean_angle, angle_range = 2 * math.pi / 5, 2 * math.pi / 15
    average_radius = math.hypot(size, size) / 8
    for _ in range(int(rng.integers(min_strokes, max_strokes + 1))):
        n_vertex = int(rng.integers(min_vertices, max_vertices + 1))
        width = max(1, round(rng.uniform(min_width, max_width) * scale))
        angle_min = mean_angle - rng.uniform(0, angle_range)
        angle_max = mean_angle + rng.uniform(0, angle_range)
        angles = [
            2 * math.pi - rng.uniform(angle_min, angle_max) if i % 2 == 0
            else rng.uniform(angle_min, angle_max)
            for i in range(n_vertex)
        ]
        vertices = [(int(rng.integers(0, size)), int(rng.integers(0, size)))]
        for angle in angles:
            radius = np.clip(rng.normal(average_radius, average_radius / 2), 0, 2 * average_radius)
            x = np.clip(vertices[-1][0] + radius * math.cos(angle), 0, size - 1)
            y = np.clip(vertices[-1][1] + radius * math.sin(angle), 0, size - 1)
            vertices.append((int(x), int(y)))
        for start, end in itertools.pairwise(vertices):
            cv2.line(hole, start, end, 1, thickness=width)
        for vertex in vertices:
            cv2.circle(hole, vertex, width // 2, 1, thickness=-1)
    if rng.random() < 0.5:
        hole = hole[:, ::-1]
    if rng.random() < 0.5:
        hole = hole[::-1, :]
    return np.ascontiguousarray(hole == 0)


def irregular_mask(rng: np.random.Generator, size: int, min_hole_ratio: float = 0.01,
                   max_hole_ratio: float = 0.6, max_tries: int = 100,
                   **stroke_params) -> np.ndarray:
    """Free-form strokes, redrawn until the hole ratio lies in [min, max] (bounded tries)."""
    params = {k: v for k, v in DEFAULTS["irregular"].items() if "hole_ratio" not in k}
    params.update(stroke_params)
    known = _strokes(rng, size, **params)
    for _ in range(max_tries):
        if min_hole_ratio <= 1.0 - known.mean() <= max_hole_ratio:
            return known
        known = _strokes(rng, size, **params)
    raise InpaintError(
        f"irregular masks: no stroke mask within hole ratio [{min_hole_ratio}, {max_hole_ratio}] "
        f"after {max_tries} tries at size {size}; widen the range or change the stroke widths"
    )


def pixels_mask(rng: np.random.Generator, size: int, p: float = 0.8) -> np.ndarray:
    """Each pixel missing independently with probability p (Yeh et al.: 0.8)."""
    return rng.random((size, size)) >= p


def half_mask(rng: np.random.Generator, size: int, fraction: float = 0.5) -> np.ndarray:
    """One side of the image missing (Yeh et al.'s "half" masks): a band of
    round(fraction * size) rows or columns along the left, right, top or bottom edge,
    the side drawn uniformly from ``rng``."""
    known = np.ones((size, size), dtype=bool)
    band = round(fraction * size)
    side = HALF_SIDES[int(rng.integers(0, len(HALF_SIDES)))]
    if side == "left":
        known[:, :band] = False
    elif side == "right":
        known[:, size - band:] = False
    elif side == "top":
        known[:band, :] = False
    else:
        known[size - band:, :] = False
    return known


def check_params(maskset: str, params: dict) -> dict:
    """Merge defaults and validate the block of one mask set; return the full parameters."""
    kind = params.get("kind")
    if kind not in DEFAULTS:
        raise InpaintError(
            f"masks.{maskset}.kind: unknown mask kind {kind!r}; expected one of "
            f"{', '.join(DEFAULTS)}"
        )
    if kind == "folder":
        from inpaint.masks_folder import check_folder_params

        return check_folder_params(maskset, params)
    merged = {**DEFAULTS[kind], **{k: v for k, v in params.items() if k != "kind"}}
    unknown = sorted(set(merged) - set(DEFAULTS[kind]))
    if unknown:
        raise InpaintError(f"masks.{maskset}: unknown key(s) {unknown} for kind {kind!r}")
    for key, value in merged.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InpaintError(f"masks.{maskset}.{key}: expected a number, got {value!r}")
    ranges = [("min_boxes", "max_boxes"), ("min_side", "max_side"), ("min_strokes", "max_strokes"),
              ("min_vertices", "max_vertices"), ("min_width", "max_width"),
              ("min_hole_ratio", "max_hole_ratio")]
    for lo, hi in ranges:
        if lo in merged and merged[lo] > merged[hi]:
            raise InpaintError(f"masks.{maskset}: {lo} ({merged[lo]}) > {hi} ({merged[hi]})")
    for key in ("scale", "p", "min_side", "max_side", "fraction"):
        if key in merged and not 0 < merged[key] <= 1:
            raise InpaintError(f"masks.{maskset}.{key}: must be in (0, 1], got {merged[key]}")
    return {"kind": kind, **merged}


def make_mask(kind: str, params: dict, rng: np.random.Generator, size: int) -> np.ndarray:
    params = {k: v for k, v in params.items() if k != "kind"}
    if kind == "center":
        return center_mask(size, **params)
    if kind == "box":
        return box_mask(rng, size, **params)
    if kind == "irregular":
        return irregular_mask(rng, size, **params)
    if kind == "pixels":
        return pixels_mask(rng, size, **params)
    if kind == "half":
        return half_mask(rng, size, **params)
    if kind.startswith("lama_"):
        from inpaint.masks_lama import lama_mask

        return lama_mask(rng, size, kind)
    if kind == "folder":
        raise InpaintError("folder masks are read as a set (generate_maskset), "
                           "not drawn one by one")
    raise InpaintError(f"unknown mask kind {kind!r}")


def generate_maskset(image_ids: list[str], size: int, dataset: str, maskset: str, params: dict,
                     seed: int) -> dict[str, np.ndarray]:
    full = check_params(maskset, params)
    if full["kind"] == "folder":
        from inpaint.masks_folder import folder_maskset

        return folder_maskset(image_ids, size, dataset, maskset, full, seed)[0]
    return {
        image_id: make_mask(full["kind"], full, mask_rng(seed, dataset, maskset, image_id), size)
        for image_id in image_ids
    }


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
    full = check_params(maskset, params)
    if full["kind"] == "folder":
        from inpaint.masks_folder import folder_maskset

        masks, extra = folder_maskset(image_ids, size, dataset, maskset, full, seed)
        return write_maskset(out_dir, masks, extra)
    return write_maskset(out_dir, generate_maskset(image_ids, size, dataset, maskset, full, seed))


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
