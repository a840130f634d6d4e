"""The demo's pieces without a browser: inputs, holes, models, the run and the download."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint.demo.export import write_download
from inpaint.demo.inputs import MIN_SIDE, DatasetImages, decode_upload
from inpaint.demo.masking import (
    check_hole,
    generated_known,
    mask_kinds,
    painted_known,
)
from inpaint.demo.models import load_catalog
from inpaint.demo.pipeline import HOLE_FILL, run_all
from inpaint.demo.serve import classical_methods
from inpaint.errors import InpaintError
from inpaint.masks import generate_maskset

ROOT = Path(__file__).resolve().parents[2]


def png_bytes(array: np.ndarray, mode: str | None = None) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array, mode).save(out, format="PNG")
    return out.getvalue()


def test_uploads_are_checked_with_a_message(real_photo):
    with pytest.raises(InpaintError, match=r"notes.txt is not an image"):
        decode_upload(b"plain text", "/some/dir/notes.txt")
    big = png_bytes(np.zeros((300, 520, 3), np.uint8))
    with pytest.raises(InpaintError, match=r"520x300 pixels; the limit is 512 pixels per side"):
        decode_upload(big, "big.png")
    with pytest.raises(InpaintError, match=r"the limit is 1 MiB"):
        decode_upload(b"\0" * (2 << 20), "huge.png", max_bytes=1 << 20)
    with pytest.raises(InpaintError, match=rf"at least {MIN_SIDE} pixels"):
        decode_upload(png_bytes(np.zeros((16, 64, 3), np.uint8)), "thin.png")
    rgba = np.zeros((40, 40, 4), np.uint8)
    with pytest.raises(InpaintError, match="transparent"):
        decode_upload(png_bytes(rgba), "clear.png")
    image = real_photo(48)
    photo = decode_upload(png_bytes(image), "astronaut.png")
    assert np.array_equal(photo.image, image)
    assert photo.source == "upload astronaut.png (48x48)"
    grey = decode_upload(png_bytes(image[..., 0]), "grey.png")
    assert grey.image.shape == (48, 48, 1)


def test_a_generated_mask_is_the_workflows_mask(demo_config):
    import yaml

    kinds = mask_kinds(yaml.safe_load(demo_config.read_text())["masks"])
    assert {"center", "box", "irregular", "pixels", "everything"} <= set(kinds)
    for name in ("center", "box", "irregular", "pixels"):
        ref = generate_maskset(["img7"], 32, "toy", name, kinds[name], seed=3)["img7"]
        assert np.array_equal(generated_known(name, kinds[name], 3, "toy", "img7", (32, 32)), ref)
    wide = generated_known("center", kinds["center"], 0, "upload", "photo", (40, 80))
    assert wide.shape == (40, 80)
    assert not wide[20, 40]
    assert wide[0, 0]


def test_painted_strokes_are_the_hole_and_bad_holes_are_named():
    layer = np.zeros((20, 30, 4), np.uint8)
    layer[5:8, 3:25] = (255, 0, 255, 255)
    known = painted_known([layer], (20, 30))
    assert (~known).sum() == 3 * 22
    assert not known[6, 10]
    # a layer at another scale is resized onto the image (nearest)
    assert np.array_equal(painted_known([layer.repeat(2, 0).repeat(2, 1)], (20, 30)), known)
    with pytest.raises(InpaintError, match="the mask is empty"):
        check_hole(painted_known([], (20, 30)))
    with pytest.raises(InpaintError, match="the mask covers the whole image"):
        check_hole(np.zeros((20, 30), bool))


def test_every_method_keeps_known_pixels_at_the_image_size(results, real_photo):
    catalog = load_catalog(results / "models")
    assert [m.label for m in catalog.models] == ["toy/context_encoder"]
    assert len(catalog.failures) == 1
    assert "model toy/glcic does not load" in catalog.failures[0]
    classical = classical_methods({"telea": {"radius": 3}})
    image = real_photo(48)
    known = np.ones((48, 48), bool)
    known[10:30, 12:40] = False
    steps = []
    outcome = run_all(image, known, classical, catalog.models,
                      progress=lambda done, total, label: steps.append((done, total, label)))
    labels = [t.label for t in outcome.tiles]
    assert labels == ["real", "corrupted", *sorted(classical), "toy/context_encoder"]
    assert steps[0] == (0, len(classical) + 1, "biharmonic")
    assert steps[-1][0] == steps[-1][1]
    assert np.all(outcome.tiles[1].image[~known] == HOLE_FILL)
    for tile in outcome.tiles[2:]:
        assert tile.image.shape == image.shape
        assert np.array_equal(tile.image[known], image[known]), tile.label
        assert tile.seconds is not None
    (seen,) = outcome.model_inputs
    assert seen.image.shape == (32, 32, 3)
    assert "32x32 input (resized from 48x48)" in seen.label
    # a grey photo: the RGB model is skipped with a reason, the classical methods run
    grey = run_all(image[..., :1], known, classical, catalog.models)
    assert [t.label for t in grey.tiles][-1] == sorted(classical)[-1]
    assert grey.notes == ["toy/context_encoder skipped: trained on RGB images, this one is grey"]


def test_missing_models_folder_is_a_message(tmp_path):
    catalog = load_catalog(tmp_path / "nowhere")
    assert catalog.models == []
    assert "no such folder" in catalog.failures[0]


def test_test_images_are_picked_by_label_only(results):
    tests = DatasetImages(results / "data")
    assert tests.labels()[0] == "toy / test0"
    assert tests.get("toy / test0").dataset == "toy"
    with pytest.raises(InpaintError, match="no test image"):
        tests.get(str(results / "data" / "toy" / "test" / "test0.png"))


def test_download_holds_the_mask_and_every_tile(tmp_path, real_photo):
    image = real_photo(40)
    known = np.ones((40, 40), bool)
    known[5:15, 5:15] = False
    outcome = run_all(image, known, classical_methods({}), [])
    path = write_download(tmp_path / "run", outcome.tiles, known)
    archive = zipfile.ZipFile(path)
    assert set(archive.namelist()) == {"mask.png", "real.png", "corrupted.png", "biharmonic.png",
                                       "fsr.png", "navier_stokes.png", "shiftmap.png",
                                       "telea.png"}
    mask = np.asarray(Image.open(io.BytesIO(archive.read("mask.png"))))
    assert np.array_equal(mask == 255, known)


def test_other_commands_do_not_import_gradio(capsys):
    code = ("import sys; from inpaint.cli import main; main(['methods']); "
            "main(['check-config', 'config.yaml']); "
            "assert 'gradio' not in sys.modules and 'inpaint.demo' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    from inpaint.cli import main

    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert "--models" in capsys.readouterr().out
