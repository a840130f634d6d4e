"""The download: every completion and the mask as PNGs, zipped, in the demo's temporary
folder (the only place the demo writes)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np

from inpaint.demo.masking import to_png
from inpaint.demo.pipeline import Tile
from inpaint.io import atomic_path, save_png


def file_name(label: str) -> str:
    """A tile label as a safe file name: 'faces/glcic' -> 'faces_glcic.png'."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_") + ".png"


def write_download(run_dir: Path, tiles: list[Tile], known: np.ndarray) -> Path:
    """mask.png (255 known, 0 hole) and one PNG per tile, zipped as run_dir/completions.zip."""
    run_dir.mkdir(parents=True, exist_ok=True)
    files = {"mask.png": to_png(known)} | {file_name(t.label): t.image for t in tiles}
    for name, image in files.items():
        save_png(run_dir / name, image)
    out = run_dir / "completions.zip"
    with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for name in files:
            archive.write(run_dir / name, name)
    return out
