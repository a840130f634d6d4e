"""``kind: folder``: a folder of images (recursive), centre-cropped to square and resized.

Files are taken in order of relative path; hidden files and folders are ignored,
as are files without an image suffix. Only the images selected after the caps
are decoded; any of them that cannot be read stops the preparation, naming it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PIL import Image

from inpaint.data.common import (
    Cfg,
    Common,
    Item,
    assign_splits,
    centre_square,
    make_split,
    safe_id,
    to_size,
)
from inpaint.data.store import SPLITS
from inpaint.io import IMAGE_SUFFIXES, open_image, to_channels

DEFAULT_CHANNELS = 3
DEFAULT_LABEL = None  # the dataset's name


def list_images(root: Path) -> list[str]:
    """Relative POSIX paths of the image files under ``root``, sorted, hidden ones skipped."""
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            found.append(rel.as_posix())
    return sorted(found)


def image_ids(paths: list[str]) -> list[str]:
    """Filename-safe ids from relative paths; clashing ids get a short hash of the path."""
    base = [safe_id(p.rsplit(".", 1)[0].replace("/", "__")) for p in paths]
    count: dict[str, int] = {}
    for b in base:
        count[b.lower()] = count.get(b.lower(), 0) + 1
    return [b if count[b.lower()] == 1 else f"{b}-{hashlib.sha1(p.encode()).hexdigest()[:8]}"
            for b, p in zip(base, paths, strict=True)]


def load_square(path: Path, size: int, channels: int):
    """Read, validate, centre-crop and resize one image file."""
    arr = to_channels(open_image(path), channels, path)
    img = Image.fromarray(arr[:, :, 0] if channels == 1 else arr)
    return to_size(centre_square(img), size, channels)


def build(cfg: Cfg, common: Common):
    root = cfg.get_path("path")
    val_fraction = cfg.get_float("val_fraction", 0.1)
    test_fraction = cfg.get_float("test_fraction", 0.1)
    cfg.finish()
    if not root.is_dir():
        raise cfg.error("path", f"folder not found: {root}")
    paths = list_images(root)
    if not paths:
        raise cfg.error("path", f"no image files ({', '.join(IMAGE_SUFFIXES)}) in {root}")
    items = [Item(i, p, p) for i, p in zip(image_ids(paths), paths, strict=True)]
    by_split, _ = assign_splits(items, common, val_fraction, test_fraction, "images")
    splits = {}
    for split in SPLITS:
        images = [load_square(root / item.source, common.size, common.channels)
                  for item in by_split[split]]
        splits[split] = make_split(by_split[split], images, common)
    return splits, {"folder": str(root), "files_found": len(paths)}
