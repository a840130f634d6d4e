"""Mask kinds drawn from simple shapes: center, box, irregular (free-form strokes),
pixels and half. Widths and lengths of strokes are given at a 256 px reference and
scaled to the image size; defaults as in DESIGN.md §5.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from inpaint.errors import InpaintError
from inpaint.masks.kinds import register_kind

IRREGULAR_DEFAULTS = {
    "min_strokes": 1, "max_strokes": 3, "min_vertices": 4, "max_vertices": 11,
    "min_width": 12, "max_width": 40, "min_hole_ratio": 0.01, "max_hole_ratio": 0.6,
}
HALF_SIDES = ("left", "right", "top", "bottom")


@register_kind("center", {"scale": 0.5}, unit=("scale",))
def _center(rng: np.random.Generator, size: int, **params) -> np.ndarray:
    """Kind center: ``center_mask`` (no random draw)."""
    return center_mask(size, **params)


def center_mask(size: int, scale: float = 0.5) -> np.ndarray:
    """A centred square hole of side round(scale * size) (0.5 -> 25% of the area)."""
    side = round(scale * size)
    known = np.ones((size, size), dtype=bool)
    start = (size - side) // 2
    known[start:start + side, start:start + side] = False
    return known


@register_kind("box", {"min_boxes": 1, "max_boxes": 2, "min_side": 0.25, "max_side": 0.5},
               unit=("min_side", "max_side"))
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


@register_kind("irregular", IRREGULAR_DEFAULTS)
def irregular_mask(rng: np.random.Generator, size: int, min_hole_ratio: float = 0.01,
                   max_hole_ratio: float = 0.6, max_tries: int = 100,
                   **stroke_params) -> np.ndarray:
    """Free-form strokes, redrawn until the hole ratio lies in [min, max] (bounded tries)."""
    params = {k: v for k, v in IRREGULAR_DEFAULTS.items() if "hole_ratio" not in k}
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


@register_kind("pixels", {"p": 0.8}, unit=("p",))
def pixels_mask(rng: np.random.Generator, size: int, p: float = 0.8) -> np.ndarray:
    """Each pixel missing independently with probability p (Yeh et al.: 0.8)."""
    return rng.random((size, size)) >= p


@register_kind("half", {"fraction": 0.5}, unit=("fraction",))
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
