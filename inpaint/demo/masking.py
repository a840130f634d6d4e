"""Holes for the demo: brush strokes painted on the canvas, or one of the configured
mask kinds drawn with a seed.

The one module of the demo that imports the project's mask generators. A hole
is a bool array (H, W), True = known pixel (DESIGN §3: 255 keeps, 0 completes).
A generated mask of a test image at its dataset's size, with the dataset's
name, its image id and the workflow's seed, is the very mask the workflow
scores that image on.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from inpaint.errors import InpaintError
from inpaint.masks import check_params, make_mask, mask_rng


def mask_kinds(config_masks: dict[str, dict]) -> dict[str, dict]:
    """The config's mask sets that draw one mask at a time (every kind but folder),
    with their defaults filled in."""
    kinds = {}
    for name, block in config_masks.items():
        full = check_params(name, block)
        if full["kind"] != "folder":
            kinds[name] = full
    return kinds


def _resize_known(known: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a bool mask to (H, W)."""
    if known.shape == tuple(shape):
        return known
    img = Image.fromarray(np.where(known, 255, 0).astype(np.uint8))
    return np.asarray(img.resize((shape[1], shape[0]), Image.Resampling.NEAREST)) == 255


def painted_known(layers: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Known pixels from the editor's paint layers (RGBA): every painted pixel is hole."""
    hole = np.zeros(shape, dtype=bool)
    for layer in layers or []:
        layer = np.asarray(layer)
        if layer.ndim != 3 or layer.shape[2] != 4:
            continue  # not a paint layer (no alpha): nothing painted on it
        hole |= ~_resize_known(layer[:, :, 3] == 0, shape)
    return ~hole


def generated_known(name: str, params: dict, seed: int, dataset: str, image_id: str,
                    shape: tuple[int, int]) -> np.ndarray:
    """The mask set ``name``'s mask for (seed, dataset, image id), drawn on a square of the
    image's longer side and resized (nearest) to the image when it is not square."""
    side = max(shape)
    try:
        known = make_mask(params["kind"], params, mask_rng(seed, dataset, name, image_id), side)
    except (TypeError, ValueError) as exc:
        raise InpaintError(f"mask kind {name!r}: {exc}") from None
    return _resize_known(known, shape)


def check_hole(known: np.ndarray) -> None:
    """An empty mask or one that covers everything has nothing to show: say so."""
    if known.all():
        raise InpaintError("the mask is empty: paint a hole on the image with the brush, "
                           "or choose a mask kind")
    if not known.any():
        raise InpaintError("the mask covers the whole image: leave some known pixels for "
                           "the methods to work from")


def to_png(known: np.ndarray) -> np.ndarray:
    """The mask as the project writes it: uint8, 255 = known, 0 = hole."""
    return np.where(known, 255, 0).astype(np.uint8)
