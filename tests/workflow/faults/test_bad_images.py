"""Bad images: corrupt, truncated, empty, float or transparent files are named and leave
no output; other modes have a defined reading.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint.io import read_image

from .helpers import (
    assert_one_error_line,
    listing,
    run_cli,
    save,
    smooth_images,
    truncated_png,
)


def palette_with_alpha(path: Path) -> None:
    img = Image.fromarray(np.tile(np.arange(24, dtype=np.uint8), (24, 1)), mode="L").convert("P")
    img.info["transparency"] = 0  # palette entry 0 transparent: the first column
    img.save(path, transparency=0)


BAD_IMAGES = {
    "corrupt.png": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20),
    "truncated.png": truncated_png,
    "empty.png": lambda p: p.write_bytes(b""),
    "float.tif": lambda p: Image.new("F", (24, 24), 0.5).save(p),
    "palette_alpha.png": palette_with_alpha,
    "rgba_alpha.png": lambda p: Image.new("RGBA", (24, 24), (10, 20, 30, 128)).save(p),
}


@pytest.mark.parametrize("name", sorted(BAD_IMAGES))
def test_bad_image_to_complete_is_named_and_leaves_no_output(capsys, user_files, name):
    _, mask, out = user_files
    bad = out.parent / name
    BAD_IMAGES[name](bad)
    code, err = run_cli(capsys, "complete", "--method", "telea", "--image", bad, "--mask", mask,
                        "--out", out / "done.png")
    assert code == 2
    assert_one_error_line(err, bad)
    assert listing(out) == []


@pytest.mark.parametrize("name", sorted(BAD_IMAGES))
def test_bad_image_in_a_folder_dataset_is_named_and_leaves_no_output(capsys, tmp_path, name):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(9):
        save(smooth_images(1, 3, 24, seed=i)[0], folder / f"ok{i}.png")
    BAD_IMAGES[name](folder / name)
    results = tmp_path / "results"
    results.mkdir()
    params = json.dumps({"kind": "folder", "path": str(folder), "size": 16})
    code, err = run_cli(capsys, "prepare-data", "--name", "mine", "--params", params,
                        "--out", results / "mine")
    assert code == 2
    assert_one_error_line(err, folder / name)
    assert listing(results) == []


def test_wrong_mode_images_have_a_defined_reading(tmp_path):
    """16-bit grey is scaled to 8 bits, CMYK converted to RGB, opaque palette / grey+alpha
    images read as their colours; what io.py's docstring and docs/guarantees.md promise."""
    ramp = np.linspace(0, 65535, 24 * 24).reshape(24, 24).astype(np.uint16)
    grey16 = read_image(save(ramp, tmp_path / "g16.png"))
    assert grey16.shape == (24, 24, 1)
    assert np.array_equal(grey16[..., 0], np.round(ramp / 65535 * 255).astype(np.uint8))

    cmyk = Image.new("CMYK", (24, 24), (0, 255, 255, 0))  # pure red in print colours
    cmyk.save(tmp_path / "c.tif")
    assert (read_image(tmp_path / "c.tif") == [255, 0, 0]).all()
    cmyk.save(tmp_path / "c.jpg", quality=100)
    assert np.abs(read_image(tmp_path / "c.jpg").astype(int) - [255, 0, 0]).max() <= 2

    rgb = smooth_images(1, 3, 24)[0]
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "p.png")
    expected = np.asarray(Image.open(tmp_path / "p.png").convert("RGB"))
    assert np.array_equal(read_image(tmp_path / "p.png"), expected)
    Image.new("LA", (24, 24), (77, 255)).save(tmp_path / "la.png")
    assert (read_image(tmp_path / "la.png") == 77).all()
    assert read_image(tmp_path / "la.png").shape == (24, 24, 1)
    Image.new("RGBA", (24, 24), (1, 2, 3, 255)).save(tmp_path / "opaque.png")
    assert (read_image(tmp_path / "opaque.png") == [1, 2, 3]).all()


def test_wrong_mode_images_complete_through_the_cli(capsys, tmp_path, user_files):
    _, mask, out = user_files
    Image.new("CMYK", (24, 24), (0, 255, 255, 0)).save(tmp_path / "c.tif")
    code, err = run_cli(capsys, "complete", "--method", "telea", "--image", tmp_path / "c.tif",
                        "--mask", mask, "--out", out / "c.png")
    assert (code, err) == (0, "")
    assert (read_image(out / "c.png") == [255, 0, 0]).all()
    ramp = (np.arange(24 * 24).reshape(24, 24) * 100).astype(np.uint16)
    code, err = run_cli(capsys, "complete", "--method", "telea", "--image",
                        save(ramp, tmp_path / "g16.png"), "--mask", mask, "--out", out / "g.png")
    assert (code, err) == (0, "")
    known = np.asarray(Image.open(mask)) == 255
    done = read_image(out / "g.png")
    assert np.array_equal(done[..., 0][known], np.round(ramp / 65535 * 255)[known])


# ---- bad masks -------------------------------------------------------------------------------
