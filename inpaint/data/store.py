"""On-disk layout of a prepared dataset (results/data/{dataset}/).

    manifest.csv          image_id, split, source, sha256 (of the uint8 pixel bytes, H x W x C)
    info.json             name, kind, label, size, channels, counts, mean pixel, provenance
    {train,val,test}.npz  packed uint8 arrays: images (N, H, W, C), ids (N,)
    test/{image_id}.png   every test image as an 8-bit PNG (what metrics compare against)

The whole directory is written atomically: a killed preparation leaves nothing
a later rule would read.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.errors import InpaintError
from inpaint.io import atomic_dir, read_json, save_png, sha256_bytes

SPLITS = ("train", "val", "test")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class Split:
    """One split: ids, uint8 images (N, H, W, C) and the source of each image."""

    ids: list[str]
    images: np.ndarray
    sources: list[str]

    def __post_init__(self) -> None:
        n = len(self.ids)
        if self.images.dtype != np.uint8 or self.images.ndim != 4:
            raise ValueError("images must be uint8 (N, H, W, C)")
        if self.images.shape[0] != n or len(self.sources) != n:
            raise ValueError("ids, images and sources must have the same length")


@dataclass
class DatasetInfo:
    name: str
    kind: str
    label: str
    size: int
    channels: int
    counts: dict[str, int] = field(default_factory=dict)
    mean: list[float] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)


def pixel_sha256(image: np.ndarray) -> str:
    return sha256_bytes(np.ascontiguousarray(image, dtype=np.uint8).tobytes())


def save_dataset(out_dir: str | os.PathLike, info: DatasetInfo, splits: dict[str, Split]) -> None:
    """Write a prepared dataset directory atomically."""
    missing = [s for s in SPLITS if s not in splits]
    if missing:
        raise ValueError(f"dataset {info.name}: missing splits {missing}")
    seen: set[str] = set()
    for split in splits.values():
        for image_id in split.ids:
            if not _ID_RE.match(image_id):
                raise ValueError(f"dataset {info.name}: image id {image_id!r} is not filename-safe")
            if image_id in seen:
                raise ValueError(f"dataset {info.name}: duplicate image id {image_id!r}")
            seen.add(image_id)
    if len(splits["test"].ids) == 0:
        raise InpaintError(f"dataset {info.name}: the test split is empty")
    for name, split in splits.items():
        if split.images.shape[1:] != (info.size, info.size, info.channels) and len(split.ids):
            raise ValueError(
                f"dataset {info.name}: {name} images have shape {split.images.shape[1:]}, "
                f"expected {(info.size, info.size, info.channels)}"
            )
    info.counts = {name: len(splits[name].ids) for name in SPLITS}
    train = splits["train"].images
    ref = train if len(train) else splits["test"].images
    info.mean = [float(v) for v in ref.reshape(-1, info.channels).mean(axis=0) / 255.0]

    rows = []
    with atomic_dir(out_dir) as tmp:
        (tmp / "test").mkdir()
        for name in SPLITS:
            split = splits[name]
            np.savez(tmp / f"{name}.npz", images=split.images, ids=np.array(split.ids, dtype=str))
            for image_id, image, source in zip(split.ids, split.images, split.sources, strict=True):
                rows.append(
                    {"image_id": image_id, "split": name, "source": source,
                     "sha256": pixel_sha256(image)}
                )
                if name == "test":
                    save_png(tmp / "test" / f"{image_id}.png", image)
        pd.DataFrame(rows, columns=["image_id", "split", "source", "sha256"]).to_csv(
            tmp / "manifest.csv", index=False
        )
        (tmp / "info.json").write_text(json.dumps(info.__dict__, indent=2, sort_keys=True) + "\n")


def load_info(data_dir: str | os.PathLike) -> DatasetInfo:
    path = Path(data_dir) / "info.json"
    if not path.is_file():
        raise InpaintError(f"not a prepared dataset (no info.json): {data_dir}")
    return DatasetInfo(**read_json(path, "dataset info"))


def _split_path(data_dir: str | os.PathLike, split: str) -> Path:
    if split not in SPLITS:
        raise InpaintError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    path = Path(data_dir) / f"{split}.npz"
    if not path.is_file():
        raise InpaintError(f"not a prepared dataset (no {split}.npz): {data_dir}")
    return path


def load_split(data_dir: str | os.PathLike, split: str) -> tuple[list[str], np.ndarray]:
    """Return (ids, uint8 images (N, H, W, C)) of one split of a prepared dataset."""
    with np.load(_split_path(data_dir, split), allow_pickle=False) as packed:
        return [str(i) for i in packed["ids"]], packed["images"]


def load_split_ids(data_dir: str | os.PathLike, split: str) -> list[str]:
    """The ids of one split, in stored order, without reading its images."""
    with np.load(_split_path(data_dir, split), allow_pickle=False) as packed:
        return [str(i) for i in packed["ids"]]


_NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0}


def iter_split(data_dir: str | os.PathLike, split: str,
               batch_size: int) -> Iterator[tuple[list[str], np.ndarray]]:
    """Yield (ids, read-only uint8 images (n, H, W, C)) of one split, ``batch_size`` images
    at a time, in stored order: the packed ``images.npy`` is read from the .npz in slices,
    so memory does not grow with the split (:func:`load_split` reads it whole)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    path = _split_path(data_dir, split)
    ids = load_split_ids(data_dir, split)
    with zipfile.ZipFile(path) as archive, archive.open("images.npy") as stream:
        read_header = _NPY_HEADERS.get(np.lib.format.read_magic(stream))
        shape, fortran_order, dtype = read_header(stream) if read_header else ((), True, None)
        if (fortran_order or dtype != np.uint8 or len(shape) != 4
                or shape[0] != len(ids)):
            raise InpaintError(f"{path}: images.npy is not a C-ordered uint8 (N, H, W, C) "
                               f"array of {len(ids)} images")
        per_image = int(np.prod(shape[1:]))
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            data = stream.read(len(chunk) * per_image)
            if len(data) != len(chunk) * per_image:
                raise InpaintError(f"{path}: images.npy is truncated")
            yield chunk, np.frombuffer(data, np.uint8).reshape(len(chunk), *shape[1:])
