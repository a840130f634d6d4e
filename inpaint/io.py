"""Atomic file writes and validated image / mask reading.

Every file the workflow writes goes through a temporary sibling and an
``os.replace`` so a killed job never leaves a truncated PNG, CSV or checkpoint
where a later rule would read it, only hidden ``.name.XXXXXXXX.tmp`` leftovers,
which nothing reads and the next write of ``name`` deletes.

Images (``read_image`` / ``to_channels``), the defined behaviour by mode:

* 8-bit grey ``L``, ``RGB``, bilevel ``1``: read as they are (``1`` as 0 / 255).
* 16-bit grey (``I;16``, ``I;16B``, ``I;16L``): scaled from [0, 65535] to 8 bits,
  ``round(v / 65535 * 255)``, i.e. the same [0, 1] intensity. 32-bit ``I`` is
  taken as 16-bit when any value exceeds 255, else as 8-bit. (Pillow reads
  16-bit RGB PNGs as 8-bit ``RGB`` itself.)
* ``CMYK`` (print JPEGs and TIFFs): converted to RGB with Pillow's formula,
  without colour management (an embedded ICC profile is ignored), as
  torchvision's loaders do.
* ``RGBA``, ``LA`` and palette (``P``) images: accepted only when every pixel is
  opaque (alpha 255, or no transparent palette entry); a transparent pixel is an
  error naming the file, since what lies under it is unknown (flatten the image
  onto the background you mean first).
* Anything else (float ``F``, ``LAB``, ``HSV``, ...): an error naming the file
  and the mode.
* Grey images asked for as RGB are replicated; RGB asked for as grey uses
  Pillow's ITU-R 601 luma.

An unreadable, truncated or zero-byte file is an error naming the file.
Masks (``read_mask``) must be single-channel 8-bit with only 0 (hole) and 255
(known), of the image's size; a mask with no hole or with no known pixel is
valid (see README, Guarantees, for what methods and metrics do with them).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from inpaint.errors import InpaintError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


# what a killed write leaves beside its target NAME: tempfile's temporary
# ".NAME.XXXXXXXX.tmp[.suffix]" (8 random characters), or the previous version of a
# folder being swapped out, ".NAME.old-PID"
_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?:[a-z0-9_]{8}\.tmp(?P<suffix>.*)|old-\d+)")
_leftovers: dict[Path, dict[str, list[str]]] = {}  # folder -> target name -> leftovers


def _remove_leftovers(path: Path) -> None:
    """Delete the leftovers of killed earlier writes of ``path`` (not of other names:
    another job may be writing those now; only one job writes a given output).

    Each folder is listed once per process, so writing many files into one folder
    stays linear; what this process leaves on an error it removes itself."""
    folder = path.parent.resolve()
    if folder not in _leftovers:
        found: dict[str, list[str]] = {}
        with os.scandir(folder) as entries:
            for entry in entries:
                match = _LEFTOVER.fullmatch(entry.name)
                name = match.group("name") if match else ""
                if match and match.group("suffix") in (None, "", Path(name).suffix):
                    found.setdefault(name, []).append(entry.name)
        _leftovers[folder] = found
    for name in _leftovers[folder].pop(path.name, []):
        stale = folder / name
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    On any exception the temporary file is removed and ``path`` is untouched.
    Temporaries of ``path`` left by a killed earlier write are removed first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory beside ``path``; on success it replaces ``path``.

    Used for directory outputs (a mask set, a method's completions): readers
    either see the complete previous directory or the complete new one.
    Leftovers of a killed earlier write of ``path`` are removed first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_csv(path: str | os.PathLike, frame) -> None:
    """Write a pandas DataFrame as CSV atomically (no index)."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_png(path: str | os.PathLike, array: np.ndarray) -> None:
    """Save a uint8 array (H, W), (H, W, 1) or (H, W, 3) as an 8-bit PNG, atomically."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"save_png expects uint8, got {array.dtype} for {path}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")


def read_json(path: str | os.PathLike, what: str = "JSON file") -> dict:
    """A JSON object from ``path``; InpaintError naming the file if it is not one."""
    path = Path(path)
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError:
        raise InpaintError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InpaintError(f"{what} {path} is not valid JSON ({exc}): rewrite or delete "
                           "it and rerun the step that makes it") from None
    if not isinstance(value, dict):
        raise InpaintError(f"{what} {path} holds {type(value).__name__}, not a JSON object")
    return value


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_image(path: str | os.PathLike) -> Image.Image:
    """Open and fully decode an image, or raise InpaintError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InpaintError(f"image not found: {path}")
    if path.stat().st_size == 0:
        raise InpaintError(f"image is empty (0 bytes): {path}")
    try:
        with Image.open(path) as img:
            img.load()
            return img.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InpaintError(f"cannot read image {path}: {exc}") from exc


def to_channels(img: Image.Image, channels: int, path: str | os.PathLike = "<image>") -> np.ndarray:
    """Convert a decoded PIL image to uint8 (H, W, channels), channels 1 or 3.

    Accepts 8-bit grey, RGB, CMYK (converted), RGBA / LA / palette when opaque and
    16-bit grey (scaled to 8 bits); other modes are rejected with the file name.
    See the module docstring for the exact rules.
    """
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        maxval = 65535.0 if mode.startswith("I;16") or arr.max() > 255 else 255.0
        grey = np.clip(np.round(arr / maxval * 255.0), 0, 255).astype(np.uint8)
        img = Image.fromarray(grey, mode="L")
    elif mode == "P" or mode == "LA":
        img = img.convert("RGBA")
    elif mode == "CMYK":
        img = img.convert("RGB")
    elif mode not in ("L", "RGB", "RGBA", "1"):
        raise InpaintError(
            f"unsupported image mode {mode!r} in {path}: convert it to 8-bit RGB or grey first"
        )
    if img.mode == "RGBA":
        alpha = np.asarray(img)[:, :, 3]
        if alpha.min() < 255:
            raise InpaintError(
                f"image {path} has transparent pixels (alpha channel); "
                "flatten it onto a background first"
            )
        img = img.convert("RGB")
    img = img.convert("L" if channels == 1 else "RGB")
    arr = np.asarray(img, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return np.ascontiguousarray(arr)


def read_image(path: str | os.PathLike, channels: int | None = None) -> np.ndarray:
    """Read an image file as uint8 (H, W, C); C = channels, or 1/3 as stored."""
    img = open_image(path)
    if channels is None:
        channels = 1 if img.mode in ("L", "LA", "1", "I", "I;16", "I;16B", "I;16L") else 3
    return to_channels(img, channels, path)


def read_mask(path: str | os.PathLike, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read a mask PNG (255 = known, 0 = hole) as a bool array, True = known.

    Raises InpaintError naming the file when the mask is not single-channel
    8-bit, holds values other than 0 and 255, or does not match ``shape``.
    """
    img = open_image(path)
    if img.mode not in ("L", "1"):
        raise InpaintError(f"mask {path} must be a single-channel 8-bit PNG, got mode {img.mode!r}")
    arr = np.asarray(img.convert("L"), dtype=np.uint8)
    if shape is not None and arr.shape != tuple(shape):
        raise InpaintError(
            f"mask {path} has size {arr.shape[1]}x{arr.shape[0]}, "
            f"expected {shape[1]}x{shape[0]} (width x height) to match its image"
        )
    bad = (arr != 0) & (arr != 255)
    if bad.any():
        values = sorted(set(np.unique(arr[bad]).tolist()))[:5]
        raise InpaintError(
            f"mask {path} has values other than 0 (hole) and 255 (known): e.g. {values}"
        )
    return arr == 255
