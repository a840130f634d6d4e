"""Figure grids: rows real / corrupted / methods, size grows with rows and columns."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inpaint.evaluation.figures import HOLE_FILL, corrupt, figure_grid


def _batch(n, size=32, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    real = rng.integers(0, 256, (n, size, size, channels), dtype=np.uint8)
    known = np.ones((n, size, size), bool)
    known[:, size // 4: 3 * size // 4, size // 4: 3 * size // 4] = False
    return real, known


def test_corrupt_fills_hole_with_mid_grey():
    real, known = _batch(2)
    out = corrupt(real, known)
    assert (out[~known] == HOLE_FILL).all()
    assert (out[known] == real[known]).all()


def test_grid_written_and_sizes_grow(tmp_path):
    real, known = _batch(10)
    path = figure_grid(real, known, {"telea": real, "navier_stokes": real},
                       tmp_path / "fig" / "center.png", title="fonts / center")
    with Image.open(path) as img:
        big = img.size
        assert img.format == "PNG"
    fewer_rows = figure_grid(real, known, {"navier_stokes": real}, tmp_path / "a.png",
                             title="fonts / center")
    fewer_cols = figure_grid(real, known, {"telea": real, "navier_stokes": real},
                             tmp_path / "b.png", title="fonts / center", n_cols=3)
    with Image.open(fewer_rows) as a, Image.open(fewer_cols) as b:
        assert a.size[1] < big[1]
        assert a.size[0] == big[0]
        assert b.size[0] < big[0]
        assert b.size[1] == big[1]
    assert not list(tmp_path.glob(".*"))  # atomic write left no temporary file


def test_columns_capped_by_n_and_grey_images(tmp_path):
    real, known = _batch(3, size=16, channels=1)
    path = figure_grid(real, known, {"biharmonic": real[..., 0]}, tmp_path / "g.png", n_cols=8)
    eight = figure_grid(*_batch(8, size=16, channels=1), {"biharmonic": real.repeat(3, 0)[:8]},
                        tmp_path / "g8.png", n_cols=8)
    with Image.open(path) as img, Image.open(eight) as img8:
        assert img.size[0] < img8.size[0]
        arr = np.asarray(img.convert("RGB"))
        assert arr.shape[0] > 3 * 16
        assert arr.shape[1] > 3 * 16


def test_large_images_keep_their_resolution(tmp_path):
    real, known = _batch(2, size=160)
    path = figure_grid(real, known, {}, tmp_path / "big.png")
    with Image.open(path) as img:
        assert img.size[0] >= 2 * 160
        assert img.size[1] >= 2 * 160


def test_shape_errors(tmp_path):
    real, known = _batch(4)
    with pytest.raises(ValueError, match="row 'x'"):
        figure_grid(real, known, {"x": real[:, :16]}, tmp_path / "e.png")
    with pytest.raises(ValueError, match="masks"):
        figure_grid(real, known.astype(np.uint8), {}, tmp_path / "e.png")
    with pytest.raises(TypeError, match="uint8"):
        figure_grid(real.astype(float), known, {}, tmp_path / "e.png")
    assert not (tmp_path / "e.png").exists()
