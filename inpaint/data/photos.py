"""``kind: photos``: random square crops of the photos that ship in scikit-image and scikit-learn.

Splits are by source photo: every crop of a photo is in the same split.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from inpaint.data.common import Cfg, Common, Item, assign_splits, make_split, to_size
from inpaint.data.store import SPLITS, pixel_sha256

DEFAULT_CHANNELS = 3
DEFAULT_LABEL = "photo crops"
COLOUR = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle", "china", "flower")
GREY = ("camera", "moon", "coins", "grass", "gravel", "brick")
EXTRA = ("retina", "hubble_deep_field", "immunohistochemistry", "clock")


def _skimage(name: str):
    def load() -> np.ndarray:
        import skimage.data

        if name == "motorcycle":
            return skimage.data.stereo_motorcycle()[0]
        return getattr(skimage.data, name)()
    return load


def _sklearn(name: str):
    def load() -> np.ndarray:
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    return load


SOURCES = {name: ("skimage.data", _skimage(name))
           for name in COLOUR + GREY + EXTRA if name not in ("china", "flower")}
SOURCES |= {name: ("sklearn.datasets.load_sample_image", _sklearn(name))
            for name in ("china", "flower")}


def load_photo(name: str) -> np.ndarray:
    """A source photo as uint8 (H, W) or (H, W, 3); these ship in the wheels (no download)."""
    return np.asarray(SOURCES[name][1](), dtype=np.uint8)


def crop_boxes(shape: tuple[int, int], n: int, crop: tuple[float, float],
               rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """n random (left, top, side) squares with side in crop x the photo's shorter side."""
    h, w = shape
    boxes = []
    for _ in range(n):
        side = max(1, round(rng.uniform(*crop) * min(h, w)))
        boxes.append((int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1)),
                      side))
    return boxes


def build(cfg: Cfg, common: Common):
    default = list(COLOUR) if common.channels == 3 else list(COLOUR + GREY)
    sources = cfg.get_str_list("sources", default)
    per_photo = cfg.get_int("crops_per_photo", 256, minimum=1)
    crop = (cfg.get_float("min_crop", 0.2, 0.01, 1.0), cfg.get_float("max_crop", 0.6, 0.01, 1.0))
    val_fraction = cfg.get_float("val_fraction", 0.15)
    test_fraction = cfg.get_float("test_fraction", 0.15)
    cfg.finish()
    if crop[0] > crop[1]:
        raise cfg.error("min_crop", f"must be <= max_crop, got {crop[0]} > {crop[1]}")
    for name in sources:
        if name not in SOURCES:
            raise cfg.error("sources", f"names unknown photo {name!r}; known: "
                                       f"{', '.join(SOURCES)}")
    if len(set(sources)) != len(sources):
        raise cfg.error("sources", "lists a photo twice")

    photos = {name: load_photo(name) for name in sorted(sources)}
    items = []
    for name, photo in photos.items():
        boxes = crop_boxes(photo.shape[:2], per_photo, crop, common.rng("crops", name))
        items += [Item(f"{name}_{k:04d}", f"{SOURCES[name][0]}:{name}[x={x},y={y},side={s}]",
                       name, (x, y, s)) for k, (x, y, s) in enumerate(boxes)]
    by_split, photo_split = assign_splits(items, common, val_fraction, test_fraction, "photos")

    splits = {}
    for split in SPLITS:
        images = []
        for item in by_split[split]:
            x, y, s = item.payload
            images.append(to_size(Image.fromarray(photos[item.group][y:y + s, x:x + s]),
                                  common.size, common.channels))
        splits[split] = make_split(by_split[split], images, common)
    provenance = {"photos": [{"name": name, "origin": SOURCES[name][0], "split": photo_split[name],
                              "shape": list(photo.shape), "pixel_sha256": pixel_sha256(photo)}
                             for name, photo in photos.items()],
                  "crop": f"side uniform in [{crop[0]}, {crop[1]}] x the photo's shorter side"}
    return splits, provenance
