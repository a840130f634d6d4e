"""What a user can complete: an uploaded photo (bytes, checked against the stated
limits) or a test image of a prepared dataset (chosen by name, never by path)."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from inpaint.data.store import load_info, load_split
from inpaint.errors import InpaintError
from inpaint.io import to_channels

MAX_SIDE = 512  # pixels per side of an upload (--max-side)
MIN_SIDE = 32  # SSIM's window and LPIPS' AlexNet need at least 11 and 31 pixels
MAX_BYTES = 10 * 1024 * 1024  # of an uploaded file
TEST_IMAGES_PER_DATASET = 64  # listed in the picker


@dataclass
class Photo:
    """The image to complete: uint8 (H, W, C), C 1 or 3, and where it came from. The
    dataset and image id seed generated masks (the workflow's mask for a test image)."""

    image: np.ndarray
    source: str
    dataset: str = "upload"
    image_id: str = "photo"


def decode_upload(data: bytes, name: str, max_side: int = MAX_SIDE,
                  max_bytes: int = MAX_BYTES) -> Photo:
    """Decode uploaded bytes as 8-bit grey or RGB; InpaintError with a message for the page."""
    shown = Path(name).name or "the upload"
    if len(data) > max_bytes:
        raise InpaintError(f"{shown} is {len(data) / 2**20:.1f} MiB; the limit is "
                           f"{max_bytes / 2**20:.0f} MiB")
    try:
        img = Image.open(io.BytesIO(data))
        width, height = img.size  # from the header: checked before decoding the pixels
    except UnidentifiedImageError:
        raise InpaintError(f"{shown} is not an image this demo can read (PNG, JPEG, WebP, "
                           "...)") from None
    except (OSError, ValueError) as exc:
        raise InpaintError(f"{shown} is not an image this demo can read: {exc}") from None
    if max(width, height) > max_side:
        raise InpaintError(f"{shown} is {width}x{height} pixels; the limit is {max_side} "
                           f"pixels per side: scale it down first")
    if min(width, height) < MIN_SIDE:
        raise InpaintError(f"{shown} is {width}x{height} pixels; the metrics need at least "
                           f"{MIN_SIDE} pixels per side")
    try:
        img.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise InpaintError(f"{shown} is a damaged image: {exc}") from None
    channels = 1 if img.mode in ("L", "1", "I", "I;16", "I;16B", "I;16L") else 3
    image = to_channels(img, channels, shown)
    return Photo(image, f"upload {shown} ({width}x{height})")


class DatasetImages:
    """Test images of the prepared datasets under a folder (results/data/{dataset}/),
    read once; the picker offers 'dataset / image id' labels, nothing else."""

    def __init__(self, data_root: str | os.PathLike | None,
                 per_dataset: int = TEST_IMAGES_PER_DATASET) -> None:
        self.photos: dict[str, Photo] = {}
        self.notes: list[str] = []
        root = Path(data_root) if data_root else None
        if root is None or not root.is_dir():
            return
        for info_file in sorted(root.glob("*/info.json")):
            folder = info_file.parent
            try:
                info = load_info(folder)
                ids, images = load_split(folder, "test")
            except (InpaintError, OSError, ValueError, KeyError) as exc:
                self.notes.append(f"test images of {folder.name}: not read ({exc})")
                continue
            if min(images.shape[1:3]) < MIN_SIDE:
                self.notes.append(f"test images of {folder.name} are {images.shape[2]}x"
                                  f"{images.shape[1]}: under the {MIN_SIDE}-pixel minimum")
                continue
            for image_id, image in list(zip(ids, images, strict=True))[:per_dataset]:
                label = f"{folder.name} / {image_id}"
                self.photos[label] = Photo(np.ascontiguousarray(image),
                                           f"test image {image_id} of {info.name}",
                                           dataset=info.name, image_id=image_id)

    def labels(self) -> list[str]:
        return list(self.photos)

    def get(self, label: str) -> Photo:
        try:
            return self.photos[label]
        except KeyError:
            raise InpaintError(f"no test image {label!r}") from None
