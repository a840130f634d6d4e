"""Mask kind ``folder``: masks from a folder of PNG files (e.g. NVIDIA's irregular masks).

Config: ``{kind: folder, path: DIR, invert: false, threshold: null, resize: true}``.

- Files: the ``*.png`` files directly in ``path`` (not in subfolders), in name order.
- Mapping to test images: a test image whose id has a file ``{id}.png`` gets that mask
  (``assignment: name`` in the manifest). The other test images, in id order, get
  distinct masks drawn without replacement from the files not taken by name, by a
  permutation seeded from (seed, dataset, mask set) (``assignment: seeded``). The
  manifest records each image's ``source`` file. A mask is never used twice: a folder
  with fewer masks than test images is an error, as is an empty or missing folder.
  The validation split (inpaint.evaluation.validation, mask set ``val-{name}``) draws its masks
  from the same folder under its own seed, so a file may serve both splits.
- Values: 8-bit grey (mode ``L``), 1-bit (mode ``1``) or RGB whose three channels are
  equal; other modes (alpha, palette, 16-bit, colour) are an error naming the file.
  Without ``threshold`` every value must be 0 or 255 (else an error naming the file and
  the values); with ``threshold: t`` a value >= t is white.
- Meaning: white = known, as in our mask PNGs (255 = known). Sets where white marks the
  hole need ``invert: true``: NVIDIA's irregular mask dataset (Liu et al. 2018, 12,000
  masks in six hole-ratio bins) draws the holes in white, the opposite of ours.
- Size: square masks of another size are resized to the image size by nearest
  neighbour (``resize: false`` makes that an error); non-square masks are an error.
- Bins: the manifest's ``bin`` column puts each mask's hole ratio (after resizing) in
  NVIDIA's bins (0.01, 0.1], (0.1, 0.2], ..., (0.5, 0.6]; ratios outside are binned
  ``[0, 0.01]`` and ``(0.6, 1]``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from inpaint.errors import InpaintError
from inpaint.masks.kinds import mask_rng, register_kind

DEFAULTS = {"path": None, "invert": False, "threshold": None, "resize": True}
BIN_EDGES = (0.01, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def check_folder_params(maskset: str, merged: dict) -> None:
    """Validate the block of a ``folder`` mask set merged with DEFAULTS (the path is not
    opened here)."""
    from inpaint.paths import project_path

    if not isinstance(merged["path"], str) or not merged["path"]:
        raise InpaintError(f"masks.{maskset}.path: kind 'folder' needs the mask folder's path")
    project_path(merged["path"], f"masks.{maskset}.path")
    for key in ("invert", "resize"):
        if not isinstance(merged[key], bool):
            raise InpaintError(f"masks.{maskset}.{key}: expected true or false, "
                               f"got {merged[key]!r}")
    threshold = merged["threshold"]
    if threshold is not None and (isinstance(threshold, bool)
                                  or not isinstance(threshold, int | float)
                                  or not 0 < threshold <= 255):
        raise InpaintError(f"masks.{maskset}.threshold: expected a number in (0, 255], "
                           f"got {threshold!r}")


def hole_bin(ratio: float) -> str:
    """NVIDIA's hole-ratio bin of ``ratio`` as a label, e.g. ``(0.1, 0.2]``."""
    if ratio <= BIN_EDGES[0]:
        return f"[0, {BIN_EDGES[0]}]"
    for lo, hi in itertools.pairwise(BIN_EDGES):
        if ratio <= hi:
            return f"({lo}, {hi}]"
    return f"({BIN_EDGES[-1]}, 1]"


def list_mask_files(folder: Path, maskset: str) -> list[Path]:
    if not folder.is_dir():
        raise InpaintError(f"masks.{maskset}.path: mask folder not found: {folder}")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".png")
    if not files:
        raise InpaintError(f"masks.{maskset}.path: mask folder {folder} holds no .png file")
    return files


def assign_masks(image_ids: list[str], files: list[Path], seed: int, dataset: str,
                 maskset: str) -> dict[str, tuple[Path, str]]:
    """{image id: (mask file, "name" | "seeded")}; see the module docstring for the rule."""
    by_stem = {p.stem: p for p in files}
    ids = sorted(image_ids)
    out = {i: (by_stem[i], "name") for i in ids if i in by_stem}
    rest_ids = [i for i in ids if i not in out]
    taken = {p for p, _ in out.values()}
    rest_files = [p for p in files if p not in taken]
    if len(rest_files) < len(rest_ids):
        raise InpaintError(
            f"masks.{maskset}.path: {len(files)} mask files for {len(image_ids)} test images "
            f"({len(out)} matched by name, {len(rest_ids)} left for {len(rest_files)} unused "
            f"files); every test image needs its own mask: add masks or lower n_test"
        )
    order = mask_rng(seed, dataset, maskset, "folder-assignment").permutation(len(rest_files))
    for image_id, k in zip(rest_ids, order, strict=False):
        out[image_id] = (rest_files[int(k)], "seeded")
    return out


def read_folder_mask(path: Path, size: int, invert: bool, threshold: float | None,
                     resize: bool) -> np.ndarray:
    """One mask file as bool (size, size), True = known, by the module's rules."""
    import cv2

    from inpaint.io import open_image

    img = open_image(path)
    if img.mode in ("L", "1"):
        arr = np.asarray(img.convert("L"), dtype=np.uint8)
    elif img.mode == "RGB":
        rgb = np.asarray(img, dtype=np.uint8)
        if not (np.array_equal(rgb[..., 0], rgb[..., 1])
                and np.array_equal(rgb[..., 0], rgb[..., 2])):
            raise InpaintError(f"mask {path} is a colour RGB image: a mask must be grey "
                               f"(its three channels equal)")
        arr = rgb[..., 0]
    else:
        raise InpaintError(f"mask {path} has mode {img.mode!r}: expected 8-bit grey ('L'), "
                           f"1-bit ('1') or grey stored as RGB")
    if threshold is None:
        bad = (arr != 0) & (arr != 255)
        if bad.any():
            values = sorted(set(np.unique(arr[bad]).tolist()))[:5]
            raise InpaintError(f"mask {path} is not binary (values other than 0 and 255, "
                               f"e.g. {values}); set the mask set's `threshold` to binarise it")
        white = arr == 255
    else:
        white = arr >= threshold
    height, width = white.shape
    if height != width:
        raise InpaintError(f"mask {path} is {width}x{height}: masks must be square "
                           f"(the test images are {size}x{size})")
    if height != size:
        if not resize:
            raise InpaintError(f"mask {path} is {width}x{height}, the test images "
                               f"{size}x{size}, and resize is off")
        white = cv2.resize(white.astype(np.uint8), (size, size),
                           interpolation=cv2.INTER_NEAREST).astype(bool)
    return ~white if invert else white


@register_kind("folder", DEFAULTS, check=check_folder_params, per_set=True)
def folder_maskset(image_ids: list[str], size: int, dataset: str, maskset: str, full: dict,
                   seed: int) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
    """(masks by image id, extra manifest columns by image id) for a ``folder`` mask set
    of checked parameters ``full`` (inpaint.masks.check_params)."""
    from inpaint.paths import project_path

    folder = project_path(full["path"], f"masks.{maskset}.path")
    files = list_mask_files(folder, maskset)
    assignment = assign_masks(list(image_ids), files, seed, dataset, maskset)
    masks, extra = {}, {}
    for image_id in image_ids:
        path, how = assignment[image_id]
        known = read_folder_mask(path, size, full["invert"], full["threshold"], full["resize"])
        masks[image_id] = known
        extra[image_id] = {"source": path.name, "assignment": how,
                           "bin": hole_bin(float(1.0 - known.mean()))}
    return masks, extra
