"""LaMa's evaluation mask protocols: kinds ``lama_thin``, ``lama_medium``, ``lama_thick``.

Source (advimman/lama, commit 786f5936b27fb3dacd2b1ad799e4de968ea697e7):
- ``saicinpainting/training/data/masks.py``: ``make_random_irregular_mask`` /
  ``RandomIrregularMaskGenerator`` (strokes), ``make_random_rectangle_mask`` /
  ``RandomRectangleMaskGenerator`` (boxes), ``MixedMaskGenerator`` (picks one of them
  per mask with probabilities ``irregular_proba`` : ``box_proba``);
- ``configs/data_gen/random_{thin,medium,thick}_{256,512}.yaml``: the parameters below;
- ``bin/gen_mask_dataset.py``: ``variants_n`` = 5 candidate masks per image, those with
  a hole fraction above ``max_tamper_area`` = 0.5 dropped, one of the rest kept.

What is reproduced exactly, in LaMa's reference frame (256 px, or 512 px for images of
512 px and more): the stroke and box procedures, including two details of LaMa's code
that its configs do not show: the generators are called without a ramp, so a stroke
mask draws ``randint(min_times, max_times + 2)`` strokes (``cur_max_times`` adds 1) and a
box side is ``randint(bbox_min_size, bbox_max_size + 1)``; stroke angles are whole
radians plus 0.01 (``0.01 + randint(max_angle)``), and each stroke has 1-5 segments.
The random source is ``mask_rng`` (seed, dataset, mask set, image id) instead of LaMa's
unseeded global ``np.random``, so the masks are reproducible but not LaMa's files.

Where it differs (stated in the README):
- Scaling: a mask is drawn at the reference size and resized to the image size by area
  averaging, a pixel becoming hole when at least half of it is hole (nearest-neighbour
  when enlarging). This keeps LaMa's hole-fraction distribution at any size; at 32 px
  the thin strokes (5-14 px wide at 256 px) become 1-2 px wide and partly broken.
- Rejection: the 0.5 cap and the "no hole" check apply to the resized mask. LaMa drops
  an image whose 5 candidates all exceed the cap; a test image cannot be dropped here,
  so 5 more candidates are drawn (at most ``MAX_ROUNDS`` rounds, then a clear error).
- LaMa's square crop of non-square photos does not apply (our images are square).
"""

from __future__ import annotations

import math

import numpy as np

from inpaint.errors import InpaintError
from inpaint.masks.kinds import register_kind

KINDS = ("lama_thin", "lama_medium", "lama_thick")
VARIANTS = 5          # gen_mask_dataset.py: mask_generator_kwargs.variants_n
MAX_TAMPER_AREA = 0.5  # configs/data_gen/random_*.yaml: max_tamper_area
MAX_ROUNDS = 20

# configs/data_gen/random_{kind}_{ref}.yaml, mask_generator_kwargs (irregular_proba is 1
# everywhere; box_proba 0 for thin, 0.3 for medium and thick).
CONFIGS: dict[tuple[str, int], dict] = {
    ("lama_thin", 256): {
        "irregular": {"min_times": 4, "max_times": 50, "max_width": 10, "max_angle": 4,
                      "max_len": 40},
        "box_proba": 0.0, "box": None,
    },
    ("lama_thin", 512): {
        "irregular": {"min_times": 4, "max_times": 70, "max_width": 20, "max_angle": 4,
                      "max_len": 100},
        "box_proba": 0.0, "box": None,
    },
    ("lama_medium", 256): {
        "irregular": {"min_times": 4, "max_times": 5, "max_width": 50, "max_angle": 4,
                      "max_len": 100},
        "box_proba": 0.3,
        "box": {"margin": 0, "bbox_min_size": 10, "bbox_max_size": 50, "min_times": 1,
                "max_times": 5},
    },
    ("lama_medium", 512): {
        "irregular": {"min_times": 4, "max_times": 10, "max_width": 100, "max_angle": 4,
                      "max_len": 200},
        "box_proba": 0.3,
        "box": {"margin": 0, "bbox_min_size": 30, "bbox_max_size": 150, "min_times": 1,
                "max_times": 5},
    },
    ("lama_thick", 256): {
        "irregular": {"min_times": 1, "max_times": 5, "max_width": 100, "max_angle": 4,
                      "max_len": 200},
        "box_proba": 0.3,
        "box": {"margin": 10, "bbox_min_size": 30, "bbox_max_size": 150, "min_times": 1,
                "max_times": 3},
    },
    ("lama_thick", 512): {
        "irregular": {"min_times": 1, "max_times": 5, "max_width": 250, "max_angle": 4,
                      "max_len": 450},
        "box_proba": 0.3,
        "box": {"margin": 10, "bbox_min_size": 30, "bbox_max_size": 300, "min_times": 1,
                "max_times": 4},
    },
}


def reference_size(size: int) -> int:
    """LaMa's configs exist for 256 and 512 px: 512 for images of 512 px and more."""
    return 512 if size >= 512 else 256


def irregular_hole(rng: np.random.Generator, ref: int, min_times: int, max_times: int,
                   max_width: int, max_angle: int, max_len: int) -> np.ndarray:
    """make_random_irregular_mask at ``ref`` px, called as RandomIrregularMaskGenerator
    does without a ramp (``max_times + 1``): uint8, 1 = hole."""
    import cv2

    hole = np.zeros((ref, ref), np.uint8)
    times = int(rng.integers(min_times, max_times + 2))
    for i in range(times):
        start_x, start_y = int(rng.integers(ref)), int(rng.integers(ref))
        for _ in range(1 + int(rng.integers(5))):
            angle = 0.01 + int(rng.integers(max_angle))
            if i % 2 == 0:
                angle = 2 * 3.1415926 - angle
            length = 10 + int(rng.integers(max_len))
            brush_w = 5 + int(rng.integers(max_width))
            end_x = int(np.clip(np.int32(start_x + length * math.sin(angle)), 0, ref))
            end_y = int(np.clip(np.int32(start_y + length * math.cos(angle)), 0, ref))
            cv2.line(hole, (start_x, start_y), (end_x, end_y), 1, brush_w)
            start_x, start_y = end_x, end_y
    return hole


def box_hole(rng: np.random.Generator, ref: int, margin: int, bbox_min_size: int,
             bbox_max_size: int, min_times: int, max_times: int) -> np.ndarray:
    """make_random_rectangle_mask at ``ref`` px, called as RandomRectangleMaskGenerator
    does without a ramp (``bbox_max_size + 1``): uint8, 1 = hole."""
    hole = np.zeros((ref, ref), np.uint8)
    top = min(bbox_max_size + 1, ref - margin * 2)
    for _ in range(int(rng.integers(min_times, max_times + 1))):
        box_w = int(rng.integers(bbox_min_size, top))
        box_h = int(rng.integers(bbox_min_size, top))
        x0 = int(rng.integers(margin, ref - margin - box_w + 1))
        y0 = int(rng.integers(margin, ref - margin - box_h + 1))
        hole[y0:y0 + box_h, x0:x0 + box_w] = 1
    return hole


def mixed_hole(rng: np.random.Generator, kind: str, ref: int) -> np.ndarray:
    """MixedMaskGenerator: strokes or boxes with probabilities 1 : box_proba."""
    config = CONFIGS[(kind, ref)]
    probas = np.array([1.0, config["box_proba"]] if config["box_proba"] else [1.0])
    choice = int(rng.choice(len(probas), p=probas / probas.sum()))
    if choice == 0:
        return irregular_hole(rng, ref, **config["irregular"])
    return box_hole(rng, ref, **config["box"])


def resize_hole(hole: np.ndarray, size: int) -> np.ndarray:
    """Reference-size hole (uint8 1 = hole) to ``size``: area average >= 0.5 when
    shrinking, nearest neighbour when enlarging. Bool, True = hole."""
    import cv2

    if hole.shape[0] == size:
        return hole.astype(bool)
    if size < hole.shape[0]:
        area = cv2.resize(hole.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
        return area >= 0.5
    return cv2.resize(hole, (size, size), interpolation=cv2.INTER_NEAREST).astype(bool)


def lama_mask(rng: np.random.Generator, size: int, kind: str) -> np.ndarray:
    """One LaMa-protocol mask of ``size`` px (bool, True = known)."""
    if kind not in KINDS:
        raise InpaintError(f"unknown LaMa mask kind {kind!r}; expected one of {', '.join(KINDS)}")
    ref = reference_size(size)
    for _ in range(MAX_ROUNDS):
        candidates = [resize_hole(mixed_hole(rng, kind, ref), size) for _ in range(VARIANTS)]
        kept = [hole for hole in candidates if 0 < hole.mean() <= MAX_TAMPER_AREA]
        if kept:
            return ~kept[int(rng.integers(len(kept)))]
    raise InpaintError(
        f"{kind} masks: no candidate with a hole fraction in (0, {MAX_TAMPER_AREA}] after "
        f"{MAX_ROUNDS * VARIANTS} draws at size {size}"
    )


@register_kind("lama_thin")
def lama_thin(rng: np.random.Generator, size: int) -> np.ndarray:
    """LaMa's thin-stroke protocol (parameters fixed by its configs)."""
    return lama_mask(rng, size, "lama_thin")


@register_kind("lama_medium")
def lama_medium(rng: np.random.Generator, size: int) -> np.ndarray:
    """LaMa's medium protocol: medium strokes, or boxes with probability 0.3 / 1.3."""
    return lama_mask(rng, size, "lama_medium")


@register_kind("lama_thick")
def lama_thick(rng: np.random.Generator, size: int) -> np.ndarray:
    """LaMa's thick protocol: thick strokes, or boxes with probability 0.3 / 1.3."""
    return lama_mask(rng, size, "lama_thick")
