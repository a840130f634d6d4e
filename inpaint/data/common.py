"""Shared pieces of the dataset builders: config reading, seeding, splitting, resizing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from inpaint.data.store import SPLITS, Split
from inpaint.errors import InpaintError

_MISSING = object()
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class Cfg:
    """Typed access to one dataset's config block; errors name the dataset and key."""

    def __init__(self, name: str, raw: dict) -> None:
        if not isinstance(raw, dict):
            raise InpaintError(f"dataset {name!r}: its config must be a mapping, got {raw!r}")
        self.name = name
        self.raw = dict(raw)
        self.used: set[str] = set()

    def error(self, key: str, message: str) -> InpaintError:
        return InpaintError(f"dataset {self.name!r}: key {key!r} {message}")

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key in self.raw:
            return self.raw[key]
        if default is _MISSING:
            raise self.error(key, "is required")
        return default

    def get_int(self, key: str, default: Any = _MISSING, minimum: int | None = None,
                optional: bool = False) -> int | None:
        value = self.get(key, default)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be >= {minimum}, got {value}")
        return value

    def get_float(self, key: str, default: Any = _MISSING, lo: float = 0.0,
                  hi: float = 1.0) -> float:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"must be a number, got {value!r}")
        if not lo <= value <= hi:
            raise self.error(key, f"must be between {lo} and {hi}, got {value}")
        return float(value)

    def get_bool(self, key: str, default: Any = _MISSING) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {value!r}")
        return value

    def get_str(self, key: str, default: Any = _MISSING, optional: bool = False) -> str | None:
        value = self.get(key, default)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value:
            raise self.error(key, f"must be a non-empty string, got {value!r}")
        return value

    def get_path(self, key: str, default: Any = _MISSING) -> Path:
        """A path: absolute as given, relative inside the project (no ``..`` out of it)."""
        from inpaint.paths import project_path

        return project_path(self.get_str(key, default), f"datasets.{self.name}.{key}")

    def get_str_list(self, key: str, default: Any = _MISSING) -> list[str]:
        value = self.get(key, default)
        if isinstance(value, str) or not isinstance(value, list | tuple) or not all(
                isinstance(v, str) and v for v in value):
            raise self.error(key, f"must be a list of strings, got {value!r}")
        return list(value)

    def get_choice(self, key: str, default: Any, choices: Sequence[str]) -> str:
        value = self.get(key, default)
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def finish(self) -> None:
        """Reject keys nobody read (typos such as ``n_tain``)."""
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            raise self.error(unknown[0], "is not a known key for kind "
                                         f"{self.raw.get('kind')!r} (known: "
                                         f"{', '.join(sorted(self.used))})")


@dataclass(frozen=True)
class Common:
    """Settings shared by every kind."""

    name: str
    kind: str
    size: int
    channels: int
    label: str
    seed: int
    caps: dict[str, int | None] = field(default_factory=dict)
    # the splits that are written (a scaled dataset: the test split alone); a builder
    # draws every split as usual, so the kept ones hold the same images, and may skip
    # reading or rendering the others (:func:`cap` empties them)
    splits: tuple[str, ...] = SPLITS

    def rng(self, *keys: str) -> np.random.Generator:
        """A generator seeded from (seed, dataset name, *keys) with a stable hash."""
        words = [self.seed] + [_stable_int(k) for k in (self.name, *keys)]
        return np.random.default_rng(np.random.SeedSequence(words))


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


def safe_id(text: str) -> str:
    """A filename-safe id ([A-Za-z0-9_.-], starting with a letter or digit)."""
    slug = _UNSAFE.sub("_", text).strip("._-")
    return slug or "x"


CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def char_tag(ch: str) -> str:
    """'d0', 'uA', 'la': a case-insensitive-filesystem-safe tag for one of CHARS."""
    return ("d" if ch.isdigit() else "u" if ch.isupper() else "l") + ch


@dataclass
class Item:
    """One candidate image before loading: id, manifest source, split group, payload."""

    image_id: str
    source: str
    group: str
    payload: Any = None


def split_counts(n_groups: int, val_fraction: float, test_fraction: float, what: str,
                 name: str) -> tuple[int, int]:
    """Number of groups for (val, test): at least one each when its fraction is > 0."""
    n_test = max(1, round(n_groups * test_fraction))
    n_val = max(1, round(n_groups * val_fraction)) if val_fraction > 0 else 0
    need_train = 1 if val_fraction + test_fraction < 1 else 0
    if n_groups < n_test + n_val + need_train:
        raise InpaintError(
            f"dataset {name!r}: only {n_groups} {what} available; need at least "
            f"{n_test + n_val + need_train} to fill the train/val/test splits "
            f"(no one of the {what} may be in two splits)")
    return n_val, n_test


def assign_splits(items: list[Item], common: Common, val_fraction: float, test_fraction: float,
                  what: str) -> tuple[dict[str, list[Item]], dict[str, str]]:
    """Assign whole groups to splits (seeded shuffle), then apply the caps.

    Returns the capped items per split and the split of every group.
    """
    groups = sorted({item.group for item in items})
    n_val, n_test = split_counts(len(groups), val_fraction, test_fraction, what, common.name)
    order = common.rng("groups").permutation(len(groups))
    where = {}
    for rank, index in enumerate(order):
        where[groups[index]] = ("test" if rank < n_test else
                                "val" if rank < n_test + n_val else "train")
    by_split: dict[str, list[Item]] = {s: [] for s in SPLITS}
    for item in items:
        by_split[where[item.group]].append(item)
    return {s: cap(by_split[s], common, s) for s in SPLITS}, where


def cap(items: list[Item], common: Common, split: str) -> list[Item]:
    """Keep a seeded random subset of at most caps[split] items, in their original order
    (none for a split that is not written: ``common.splits``)."""
    if split not in common.splits:
        return []
    limit = common.caps.get(split)
    if limit is None or len(items) <= limit:
        return list(items)
    keep = np.sort(common.rng("cap", split).choice(len(items), size=limit, replace=False))
    return [items[i] for i in keep]


def make_split(items: list[Item], images: Sequence[np.ndarray], common: Common) -> Split:
    shape = (len(items), common.size, common.size, common.channels)
    array = np.stack(images).astype(np.uint8) if len(items) else np.zeros(shape, np.uint8)
    return Split(ids=[i.image_id for i in items], images=array,
                 sources=[i.source for i in items])


def centre_square(img: Image.Image, side: int | None = None) -> Image.Image:
    """Centre crop to a square of ``side`` px (default: the shorter side)."""
    w, h = img.size
    side = min(w, h) if side is None else side
    left, top = (w - side) // 2, (h - side) // 2
    return img.crop((left, top, left + side, top + side))


def to_size(img: Image.Image, size: int, channels: int) -> np.ndarray:
    """Resize a square PIL image to size x size (Lanczos) as uint8 (H, W, channels)."""
    img = img.convert("L" if channels == 1 else "RGB")
    if img.size != (size, size):
        img = img.resize((size, size), Image.Resampling.LANCZOS)
    arr = np.asarray(img, dtype=np.uint8)
    return arr[:, :, None] if arr.ndim == 2 else arr
