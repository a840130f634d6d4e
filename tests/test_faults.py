"""Fault injection: bad input, unsafe or mismatched checkpoints, config paths, kills.

Each fault must end in one clear ``error: ...`` line naming the culprit, exit status 2
and no partial output; a killed run or training job must finish, when rerun, with the
same numbers as an uninterrupted one. The kill tests (kill -9 of a whole Snakemake run
at every stage, kill -9 of each learned method's training between checkpoints) carry
the ``faults`` marker: deselected by the default ``pytest`` run, run by ``.ci/run``
(``python -m pytest -m faults``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from inpaint.cli import main
from inpaint.completion import complete_set
from inpaint.config import ENGINE_INT_SETTINGS, project_path
from inpaint.data.store import DatasetInfo, Split, save_dataset
from inpaint.errors import InpaintError
from inpaint.io import read_image
from inpaint.masks import generate_maskset, write_maskset
from inpaint.methods import get_method
from inpaint.training import LAST_CHECKPOINT, MODEL_JSON, load_checkpoint
from inpaint.training.engine import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "workflow" / "profiles" / "default"
SIZE = 16
LEARNED = ("yeh_dcgan", "context_encoder", "glcic", "pconv")
# tiny models, 1 thread; kills land between checkpoints (and, for glcic and pconv, in
# another phase than the last checkpoint's: glcic discriminator phase after a
# completion-phase checkpoint, pconv fine-tuning after a training-phase one)
TINY = {
    "yeh_dcgan": {"steps": 6, "batch_size": 8, "base": 8, "nz": 16, "checkpoint_every": 2,
                  "sample_every": 0, "log_every": 1, "search_steps": 3, "restarts": 1},
    "context_encoder": {"steps": 6, "batch_size": 8, "base": 4, "bottleneck": 8, "d_base": 4,
                        "checkpoint_every": 2, "sample_every": 0, "log_every": 1},
    "glcic": {"steps": 10, "batch_size": 4, "width": 4, "d_width": 4, "completion_steps": 4,
              "discriminator_steps": 3, "checkpoint_every": 3, "sample_every": 0,
              "log_every": 1},
    "pconv": {"steps": 6, "batch_size": 4, "base_channels": 4, "finetune_steps": 2,
              "mask_pool": 0, "checkpoint_every": 2, "sample_every": 0, "log_every": 1},
}
KILL_AT = {"yeh_dcgan": 3, "context_encoder": 3, "glcic": 5, "pconv": 5}  # last ckpt: 2, 2, 3, 4


# ---- helpers ---------------------------------------------------------------------------------

def smooth_images(n: int, channels: int, size: int = SIZE, seed: int = 0) -> np.ndarray:
    low = torch.from_numpy(np.random.default_rng(seed).random((n, channels, 4, 4)))
    high = torch.nn.functional.interpolate(low, size=(size, size), mode="bilinear",
                                           align_corners=True)
    return np.round(high.permute(0, 2, 3, 1).numpy() * 255).astype(np.uint8)


def make_dataset(path: Path, size: int = SIZE, channels: int = 3) -> Path:
    images = smooth_images(34, channels, size)
    parts = (("train", images[:24]), ("val", images[24:28]), ("test", images[28:]))
    splits = {name: Split([f"{name}{i}" for i in range(len(part))], part, ["synthetic"] * len(part))
              for name, part in parts}
    save_dataset(path, DatasetInfo("toy", "faces", "toy", size, channels), splits)
    return path


def run_cli(capsys, *args: str) -> tuple[int, str]:
    """``inpaint ARGS`` in this process (the code path of ``python -m inpaint``)."""
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def assert_one_error_line(err: str, *names: object) -> None:
    """One ``error: ...`` line, last on stderr (after any progress lines), naming ``names``."""
    lines = [line for line in err.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert lines[-1] == errors[0], err
    assert "Traceback" not in err
    for name in names:
        assert str(name) in errors[0], (name, err)


def listing(folder: Path) -> list[str]:
    """Every path under ``folder`` (hidden temporary files included)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def save(array: np.ndarray, path: Path, mode: str | None = None) -> Path:
    Image.fromarray(array, mode=mode).save(path) if mode else Image.fromarray(array).save(path)
    return path


@pytest.fixture
def user_files(tmp_path):
    """A 24 x 24 RGB photo, its mask (one hole) and an output folder."""
    image = smooth_images(1, 3, 24)[0]
    mask = np.full((24, 24), 255, np.uint8)
    mask[8:16, 8:16] = 0
    out = tmp_path / "out"
    out.mkdir()
    return save(image, tmp_path / "photo.png"), save(mask, tmp_path / "mask.png"), out


# ---- bad images ------------------------------------------------------------------------------

def _truncated_png(path: Path) -> None:
    save(smooth_images(1, 3, 24)[0], path)
    path.write_bytes(path.read_bytes()[:200])


def _palette_with_alpha(path: Path) -> None:
    img = Image.fromarray(np.tile(np.arange(24, dtype=np.uint8), (24, 1)), mode="L").convert("P")
    img.info["transparency"] = 0  # palette entry 0 transparent: the first column
    img.save(path, transparency=0)


BAD_IMAGES = {
    "corrupt.png": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20),
    "truncated.png": _truncated_png,
    "empty.png": lambda p: p.write_bytes(b""),
    "float.tif": lambda p: Image.new("F", (24, 24), 0.5).save(p),
    "palette_alpha.png": _palette_with_alpha,
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
    images read as their colours; what io.py's docstring and the README promise."""
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

def _mask_with(value: int) -> np.ndarray:
    mask = np.full((24, 24), 255, np.uint8)
    mask[8:16, 8:16] = 0
    mask[0, 0] = value
    return mask


BAD_MASKS = {
    "small.png": (lambda p: save(np.full((16, 24), 255, np.uint8), p), "expected 24x24"),
    "grey128.png": (lambda p: save(_mask_with(128), p), "values other than 0"),
    "antialiased.png": (lambda p: save(_mask_with(1), p), "values other than 0"),
    "rgb.png": (lambda p: save(np.full((24, 24, 3), 255, np.uint8), p), "single-channel"),
    "empty.png": (lambda p: p.write_bytes(b""), "0 bytes"),
    "truncated.png": (_truncated_png, "cannot read image"),
}


@pytest.mark.parametrize("name", sorted(BAD_MASKS))
def test_bad_mask_is_named_and_leaves_no_output(capsys, user_files, name):
    image, _, out = user_files
    make, message = BAD_MASKS[name]
    bad = out.parent / name
    make(bad)
    code, err = run_cli(capsys, "complete", "--method", "telea", "--image", image, "--mask", bad,
                        "--out", out / "done.png")
    assert code == 2
    assert_one_error_line(err, bad, message)
    assert listing(out) == []


def test_bad_mask_in_a_mask_set_stops_completion_and_evaluation(capsys, tmp_path):
    data = make_dataset(tmp_path / "data")
    ids = [f"test{i}" for i in range(6)]
    write_maskset(tmp_path / "masks", generate_maskset(ids, SIZE, "toy", "c", {"kind": "center"},
                                                       seed=0))
    code, err = run_cli(capsys, "complete-set", "--data", data, "--masks", tmp_path / "masks",
                        "--method", "telea", "--out", tmp_path / "done" / "telea")
    assert code == 0
    bad = tmp_path / "masks" / "test2.png"
    save(_mask_with(7)[:SIZE, :SIZE], bad)
    code, err = run_cli(capsys, "complete-set", "--data", data, "--masks", tmp_path / "masks",
                        "--method", "biharmonic", "--out", tmp_path / "done" / "biharmonic")
    assert code == 2
    assert_one_error_line(err, bad, "values other than 0")
    code, err = run_cli(capsys, "evaluate", "--no-lpips", "--no-st-lpips", "--data", data,
                        "--masks", tmp_path / "masks", "--completions", tmp_path / "done/telea",
                        "--out", tmp_path / "metrics" / "telea.csv")
    assert code == 2
    assert_one_error_line(err, bad)
    assert listing(tmp_path / "done") == ["telea", *[f"telea/test{i}.png" for i in range(6)]]
    assert not (tmp_path / "metrics").exists() or listing(tmp_path / "metrics") == []


def test_no_hole_and_all_hole_masks_are_defined(capsys, tmp_path):
    """No hole: the completion is the image itself and the hole metrics are empty (NaN,
    left out of the means). All hole: valid; a classical method fills mid-grey."""
    data = make_dataset(tmp_path / "data")
    ids = [f"test{i}" for i in range(6)]
    masks = {i: np.ones((SIZE, SIZE), bool) for i in ids[:3]}
    masks.update({i: np.zeros((SIZE, SIZE), bool) for i in ids[3:]})
    write_maskset(tmp_path / "masks", masks)
    for method in ("telea", "biharmonic"):
        code, err = run_cli(capsys, "complete-set", "--data", data, "--masks", tmp_path / "masks",
                            "--method", method, "--out", tmp_path / "done" / method)
        assert (code, err) == (0, "")
    truth = {i: read_image(data / "test" / f"{i}.png") for i in ids}
    for method in ("telea", "biharmonic"):
        for i in ids[:3]:
            assert np.array_equal(read_image(tmp_path / "done" / method / f"{i}.png"), truth[i])
        for i in ids[3:]:
            assert (read_image(tmp_path / "done" / method / f"{i}.png") == 128).all()
    code, err = run_cli(capsys, "evaluate", "--no-lpips", "--no-st-lpips", "--data", data,
                        "--masks", tmp_path / "masks", "--completions", tmp_path / "done/telea",
                        "--out", tmp_path / "telea.csv")
    assert code == 0
    frame = pd.read_csv(tmp_path / "telea.csv").set_index("image_id")
    assert (frame.loc[ids[:3], "hole_ratio"] == 0).all()
    assert frame.loc[ids[:3], ["psnr_hole", "ssim_hole", "l1_hole"]].isna().all().all()
    assert (frame.loc[ids[:3], "l1"] == 0).all()
    assert (frame.loc[ids[3:], "hole_ratio"] == 1).all()
    assert frame.loc[ids[3:], ["psnr", "psnr_hole", "ssim", "l1_hole"]].notna().all().all()
    assert np.allclose(frame.loc[ids[3:], "psnr"], frame.loc[ids[3:], "psnr_hole"])


# ---- datasets, names, config types -----------------------------------------------------------

def test_empty_dataset_folder_is_named(capsys, tmp_path):
    empty = tmp_path / "photos"
    empty.mkdir()
    (empty / "notes.txt").write_text("no images here")
    params = json.dumps({"kind": "folder", "path": str(empty), "size": 16})
    code, err = run_cli(capsys, "prepare-data", "--name", "mine", "--params", params,
                        "--out", tmp_path / "results" / "mine")
    assert code == 2
    assert_one_error_line(err, empty, "no image files")
    assert not (tmp_path / "results").exists() or listing(tmp_path / "results") == []


@pytest.mark.parametrize(("args", "names"), [
    (["complete-set", "--data", "{data}", "--masks", "{masks}", "--method", "deepfillv9",
      "--out", "{out}"], ["unknown method 'deepfillv9'"]),
    (["train", "--data", "{data}", "--method", "deepfillv9", "--out", "{out}"],
     ["unknown method 'deepfillv9'"]),
    (["prepare-data", "--name", "x", "--params", '{"kind": "mnist", "size": 16}', "--out",
      "{out}"], ["mnist"]),
    (["make-masks", "--data", "{data}", "--dataset", "toy", "--maskset", "blobs", "--params",
      '{"kind": "blob"}', "--out", "{out}"], ["blob"]),
    (["make-masks", "--data", "{root}/data_nope", "--dataset", "nope", "--maskset", "c",
      "--params", '{"kind": "center"}', "--out", "{out}"], ["data_nope"]),
    (["complete-set", "--data", "{data}", "--masks", "{root}/masks_nope", "--method", "telea",
      "--out", "{out}"], ["mask set not found", "masks_nope"]),
    (["complete-set", "--data", "{data}", "--masks", "{masks}", "--method", "telea",
      "--params", '{"radius": "wide"}', "--out", "{out}"], ["telea", "wide"]),
    (["complete-set", "--data", "{data}", "--masks", "{masks}", "--method", "telea",
      "--params", '{"radiuss": 3}', "--out", "{out}"], ["telea", "radiuss"]),
    (["train", "--data", "{data}", "--method", "context_encoder", "--params",
      '{"steps": "ten"}', "--out", "{out}"], ["steps", "ten"]),
    (["train", "--data", "{data}", "--method", "context_encoder", "--params",
      '{"stepz": 10}', "--out", "{out}"], ["stepz"]),
    (["train", "--data", "{data}", "--method", "telea", "--out", "{out}"], ["classical"]),
    (["complete-set", "--data", "{data}", "--masks", "{masks}", "--method", "glcic",
      "--out", "{out}"], ["--model"]),
])
def test_unknown_names_and_wrong_types_are_named(capsys, tmp_path, args, names):
    data = make_dataset(tmp_path / "data")
    write_maskset(tmp_path / "masks", generate_maskset(
        [f"test{i}" for i in range(6)], SIZE, "toy", "c", {"kind": "center"}, seed=0))
    out = tmp_path / "out"
    fill = {"{data}": data, "{masks}": tmp_path / "masks", "{out}": out, "{root}": tmp_path}
    for key, value in fill.items():
        args = [a.replace(key, str(value)) for a in args]
    code, err = run_cli(capsys, *args)
    assert code == 2
    assert_one_error_line(err, *names)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


@pytest.mark.parametrize(("change", "names"), [
    (lambda c: c.update(seed="zero"), ["seed", "'zero' is not of type 'integer'"]),
    (lambda c: c["datasets"]["chars"].update(size="big"), ["datasets.chars.size", "'big'"]),
    (lambda c: c["datasets"]["chars"].update(n_train=-1), ["datasets.chars.n_train"]),
    (lambda c: c["masks"]["center"].update(scale="half"), ["center", "half"]),
    (lambda c: c["methods"]["telea"].update(radius="x"), ["methods.telea", "'x'"]),
    (lambda c: c["methods"].update(context_encoder={"steps": 2.5}), ["context_encoder.steps"]),
    (lambda c: c["methods"].update(glcic={"batch_size": True}), ["glcic.batch_size", "True"]),
    (lambda c: c["methods"].update(pconv={"checkpoint_every": "often"}), ["checkpoint_every"]),
    (lambda c: c["datasets"].update(mine={"kind": "folder", "size": 16, "path": "../photos"}),
     ["datasets.mine.path", "../photos", "outside the project"]),
    (lambda c: c["methods"].update(pconv={"vgg16_weights": "models/../../vgg.pth"}),
     ["methods.pconv.vgg16_weights", "outside the project"]),
    (lambda c: c["datasets"]["chars"].update(font_dirs=["fonts", "../../fonts"]),
     ["datasets.chars.font_dirs", "../../fonts"]),
])
def test_wrong_config_types_and_escaping_paths_fail_check_config(capsys, tmp_path, change, names):
    config = {"datasets": {"chars": {"kind": "fonts", "size": 16}},
              "masks": {"center": {"kind": "center"}}, "methods": {"telea": {"radius": 3}}}
    change(config)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    code, err = run_cli(capsys, "check-config", path)
    assert code == 2
    assert_one_error_line(err, *names)


def test_config_int_settings_match_the_engine():
    """inpaint.config checks the engine's integer settings before any job (without
    importing torch); its list must stay TrainConfig's."""
    for key, lo in ENGINE_INT_SETTINGS.items():
        TrainConfig(**{"method": "m", "steps": 1, "batch_size": 1, key: lo})
        with pytest.raises(InpaintError, match=key):
            TrainConfig(**{"method": "m", "steps": 1, "batch_size": 1, key: lo - 1})
        with pytest.raises(InpaintError, match=key):
            TrainConfig(**{"method": "m", "steps": 1, "batch_size": 1, key: float(lo + 1)})


# ---- config paths stay inside the project ----------------------------------------------------

def test_project_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert project_path("data/photos", "k") == Path("data/photos")
    assert project_path("data/../photos", "k") == Path("data/../photos")  # stays inside
    assert project_path("/elsewhere/photos", "k") == Path("/elsewhere/photos")  # on purpose
    assert project_path("~/photos", "k") == Path.home() / "photos"
    for escaping in ("..", "../photos", "data/../../photos", "./../x"):
        with pytest.raises(InpaintError, match=rf"k: relative path '{re.escape(escaping)}' "
                                               "leads outside the project folder"):
            project_path(escaping, "k")


def test_dataset_path_escaping_the_project_is_refused_by_the_builder(capsys, tmp_path,
                                                                     monkeypatch):
    outside = tmp_path / "outside"
    outside.mkdir()
    for i in range(10):
        save(smooth_images(1, 3, 24, seed=i)[0], outside / f"p{i}.png")
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    params = {"kind": "folder", "path": "../outside", "size": 16}
    code, err = run_cli(capsys, "prepare-data", "--name", "mine", "--params", json.dumps(params),
                        "--out", "results/data/mine")
    assert code == 2
    assert_one_error_line(err, "datasets.mine.path", "'../outside'", "absolute path")
    assert listing(project) == []
    params["path"] = str(outside)  # the same folder, given on purpose
    code, err = run_cli(capsys, "prepare-data", "--name", "mine", "--params", json.dumps(params),
                        "--out", "results/data/mine")
    assert code == 0, err
    assert (project / "results/data/mine/info.json").is_file()


def test_method_path_escaping_the_project_is_refused_by_the_cli(capsys, tmp_path, monkeypatch):
    data = make_dataset(tmp_path / "data")
    monkeypatch.chdir(data)
    code, err = run_cli(capsys, "train", "--data", data, "--method", "pconv", "--params",
                        json.dumps({**TINY["pconv"], "vgg16_weights": "../../vgg16.pth"}),
                        "--out", tmp_path / "model")
    assert code == 2
    assert_one_error_line(err, "methods.pconv.vgg16_weights", "outside the project")
    assert not (tmp_path / "model").exists()


# ---- no eval, no unsafe deserialisation ------------------------------------------------------

UNSAFE = re.compile(
    r"(?<![.\w])(eval|exec|compile)\(|pickle\.loads?\(|yaml\.(unsafe_)?load\(|yaml\.Loader|"
    r"weights_only\s*=\s*False|allow_pickle\s*=\s*True|shell\s*=\s*True|os\.system\(|"
    r"torch\.load\((?!.*weights_only=True)")


def test_no_config_value_is_evaluated_and_nothing_is_unpickled():
    """No eval/exec, no unsafe YAML or pickle load, no shell=True anywhere in the package or
    the workflow; every torch.load passes weights_only=True on the same line."""
    files = [*(ROOT / "inpaint").rglob("*.py"), ROOT / "Snakefile",
             *(ROOT / "workflow").rglob("*.smk"), *(ROOT / "workflow").rglob("*.py")]
    assert len(files) > 30
    hits = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
            for path in files for n, line in enumerate(path.read_text().splitlines(), 1)
            if UNSAFE.search(line)]
    assert hits == []
    assert UNSAFE.search("x = eval(config['a'])")  # the pattern does catch what it must
    assert UNSAFE.search("torch.load(path, map_location='cpu')")
    assert not UNSAFE.search("net.eval()")


# ---- checkpoints: missing, truncated, foreign, crafted ---------------------------------------

@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Each learned method trained for 2 steps on a 16 x 16 RGB dataset (1 thread, CPU)."""
    root = tmp_path_factory.mktemp("models")
    data = make_dataset(root / "data")
    write_maskset(root / "masks", generate_maskset(
        [f"test{i}" for i in range(6)], SIZE, "toy", "c", {"kind": "center"}, seed=0))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCH_HOME", str(root / "torch_home"))  # no VGG16 weights for pconv
        for name in LEARNED:
            get_method(name, **_two_steps(name)).fit(data, root / name, seed=0, device="cpu",
                                                     threads=1)
    return root


def _two_steps(method: str) -> dict:
    params = {**TINY[method], "steps": 2}
    params.pop("finetune_steps", None)
    if method == "glcic":
        params.update(completion_steps=1, discriminator_steps=0)
    return params


def _complete_with(capsys, models: Path, method: str, model: Path, out: Path,
                   data: Path | None = None) -> tuple[int, str]:
    params = _two_steps(method)
    return run_cli(capsys, "complete-set", "--data", data or models / "data", "--masks",
                   models / "masks", "--method", method, "--model", model, "--device", "cpu",
                   "--params", json.dumps(params), "--out", out)


def _copy_model(models: Path, method: str, dest: Path) -> Path:
    shutil.copytree(models / method, dest)
    return dest


@pytest.mark.parametrize("method", LEARNED)
def test_trained_model_completes(capsys, models, tmp_path, method):
    code, err = _complete_with(capsys, models, method, models / method, tmp_path / "out")
    assert code == 0, err
    assert len(list((tmp_path / "out").glob("*.png"))) == 6


@pytest.mark.parametrize("method", LEARNED)
@pytest.mark.parametrize("fault", ["missing model folder", "missing checkpoint", "zero bytes",
                                   "truncated", "another method", "another image size",
                                   "corrupt model.json"])
def test_checkpoint_faults_are_named_and_leave_no_output(capsys, models, tmp_path, method, fault):
    model = tmp_path / "model"
    data = None
    culprit: object = model / LAST_CHECKPOINT
    if fault == "missing model folder":
        culprit = model
    else:
        _copy_model(models, method, model)
    ckpt = model / LAST_CHECKPOINT
    if fault == "missing checkpoint":
        ckpt.unlink()
    elif fault == "zero bytes":
        ckpt.write_bytes(b"")
    elif fault == "truncated":
        ckpt.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    elif fault == "another method":
        other = LEARNED[(LEARNED.index(method) + 1) % len(LEARNED)]
        shutil.rmtree(model)
        _copy_model(models, other, model)
        culprit = other
    elif fault == "another image size":
        data = make_dataset(tmp_path / "data32", size=32)
        culprit = "16"
    elif fault == "corrupt model.json":
        culprit = model / "model.json"
        culprit.write_text('{"method": ')
    code, err = _complete_with(capsys, models, method, model, tmp_path / "out", data=data)
    assert code == 2
    assert_one_error_line(err, culprit)
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


class _Payload:
    """Unpickling this creates ``marker`` (any code could run instead)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("method", LEARNED)
def test_crafted_pickle_checkpoint_runs_no_code(capsys, models, tmp_path, method):
    """A last.pt whose unpickling would create a file: completing and resuming training
    with it both fail naming it, and the file is never created."""
    model = _copy_model(models, method, tmp_path / "model")
    marker = tmp_path / "pwned"
    evil = {**load_checkpoint(model / LAST_CHECKPOINT), "x": _Payload(marker)}
    torch.save(evil, model / LAST_CHECKPOINT)
    code, err = _complete_with(capsys, models, method, model, tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, model / LAST_CHECKPOINT, "weights_only")
    code, err = run_cli(capsys, "train", "--data", models / "data", "--method", method,
                        "--params", json.dumps(_two_steps(method)), "--device", "cpu",
                        "--out", model)
    assert code == 2
    assert_one_error_line(err, model / LAST_CHECKPOINT, "weights_only")
    assert not marker.exists()
    assert not (tmp_path / "out").exists()
    # the payload is real: an unsafe load runs it
    torch.load(model / LAST_CHECKPOINT, weights_only=False)["x"].close()
    assert marker.exists()


def test_resuming_on_another_methods_checkpoint_is_refused(capsys, models, tmp_path):
    model = _copy_model(models, "context_encoder", tmp_path / "model")
    before = (model / LAST_CHECKPOINT).read_bytes()
    code, err = run_cli(capsys, "train", "--data", models / "data", "--method", "pconv",
                        "--params", json.dumps(TINY["pconv"]), "--device", "cpu", "--out", model)
    assert code == 2
    assert_one_error_line(err, model / LAST_CHECKPOINT, "'context_encoder'", "'pconv'")
    assert (model / LAST_CHECKPOINT).read_bytes() == before


def test_non_finite_loss_stops_naming_step_and_log_and_keeps_the_checkpoint(capsys, models,
                                                                           tmp_path):
    """A learning rate of 1e30 blows a real method up at step 2: the run stops with one
    line naming the loss, the step and the log; the step-1 checkpoint stays loadable."""
    model = tmp_path / "model"
    params = {**TINY["context_encoder"], "steps": 8, "checkpoint_every": 1, "lr": 1e30}
    code, err = run_cli(capsys, "train", "--data", models / "data", "--method",
                        "context_encoder", "--params", json.dumps(params), "--device", "cpu",
                        "--out", model)
    assert code == 2
    assert_one_error_line(err, "is nan at step 2", model / "train_log.csv",
                          f"{model / LAST_CHECKPOINT} (step 1) is kept")
    assert load_checkpoint(model / LAST_CHECKPOINT)["meta"]["step"] == 1
    assert not (model / MODEL_JSON).exists()
    rows = (model / "train_log.csv").read_text().splitlines()
    assert rows[-1].startswith("2,")
    assert "nan" in rows[-1]


def test_train_log_row_cut_by_a_kill_is_dropped_on_resume(tmp_path):
    """A kill (or power loss) in the middle of appending a log row leaves a partial last
    line; resuming drops it with the other rows after the checkpoint."""
    from inpaint.training.losslog import LossLog

    log = LossLog(tmp_path / "log.csv", ("a",))
    for step in range(1, 16):
        log.add({"a": step / 10})
        log.write(step, "p", float(step))
    log.close()
    text = (tmp_path / "log.csv").read_text()
    (tmp_path / "log.csv").write_text(text + "1")  # "1" of "16,p,..." cut by a kill
    log = LossLog(tmp_path / "log.csv", ("a",), resume_step=12)
    log.close()
    rows = (tmp_path / "log.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == [str(s) for s in range(1, 13)]


def test_leftovers_of_a_killed_write_are_removed_when_the_output_is_written_again(tmp_path):
    """A kill leaves hidden temporaries beside an output; writing that output again removes
    them, and only them (another job may be writing another output in the same folder)."""
    from inpaint.io import atomic_dir, save_png

    stale = [".x.png.ab12cd_9.tmp.png", ".d.k3j4h5g6.tmp", ".d.old-4242"]
    others = [".y.png.ab12cd_9.tmp.png", ".x.png.notrandom", ".x.png.ab12cd_9.tmp.csv", "x.txt"]
    for name in stale + others:
        if name.startswith(".d."):
            (tmp_path / name).mkdir()
            (tmp_path / name / "half.png").write_bytes(b"\x89PNG")
        else:
            (tmp_path / name).write_bytes(b"partial")
    save_png(tmp_path / "x.png", np.zeros((4, 4), np.uint8))
    with atomic_dir(tmp_path / "d") as tmp:
        (tmp / "f").write_text("done")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["x.png", "d", *others])


# ---- kill -9: training between checkpoints ---------------------------------------------------

KILLER = """
import os, signal, sys
from inpaint.training import engine
kill_at, loop = int(sys.argv[1]), engine._Run.loop

def killing_loop(self, callback):
    def kill(step, losses):
        if step == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    return loop(self, kill)

engine._Run.loop = killing_loop
from inpaint.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _weights(model: Path) -> dict[str, dict[str, torch.Tensor]]:
    return load_checkpoint(model / LAST_CHECKPOINT)["modules"]


def _log_without_timing(model: Path) -> list[list[str]]:
    rows = [line.split(",") for line in (model / "train_log.csv").read_text().splitlines()]
    return [row[:-3] for row in rows]  # seconds, images_per_s, peak_gpu_mb


@pytest.fixture(scope="module")
def resume_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    make_dataset(root / "data")
    write_maskset(root / "masks", generate_maskset(
        [f"test{i}" for i in range(6)], SIZE, "toy", "c", {"kind": "box"}, seed=0))
    return root


@pytest.mark.faults
@pytest.mark.parametrize("method", LEARNED)
def test_training_killed_between_checkpoints_resumes_to_identical_weights_and_metrics(
        resume_data, tmp_path, monkeypatch, method):
    """kill -9 of `inpaint train` between two checkpoints (GLCIC in its discriminator phase
    after a completion-phase checkpoint, pconv fine-tuning after a training-phase one);
    the same command again ends with the uninterrupted run's weights, log and completions."""
    data, masks = resume_data / "data", resume_data / "masks"
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    params = TINY[method]
    get_method(method, **params).fit(data, tmp_path / "whole", seed=0, device="cpu", threads=1)

    cut = tmp_path / "cut"
    args = ["train", "--data", str(data), "--method", method, "--params", json.dumps(params),
            "--seed", "0", "--device", "cpu", "--threads", "1", "--out", str(cut)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run([sys.executable, "-c", KILLER, str(KILL_AT[method]), *args],
                            capture_output=True, text=True, env=env, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    step = load_checkpoint(cut / LAST_CHECKPOINT)["meta"]["step"]
    assert 0 < step < KILL_AT[method]
    assert not (cut / MODEL_JSON).exists()
    if method in ("glcic", "pconv"):
        phases = {row[0]: row[1] for row in _log_without_timing(cut)[1:]}
        assert phases[str(step)] != phases[str(KILL_AT[method])]  # killed in the next phase

    get_method(method, **params).fit(data, cut, seed=0, device="cpu", threads=1)
    assert json.loads((cut / MODEL_JSON).read_text())["resumed_from"] == step
    whole, resumed = _weights(tmp_path / "whole"), _weights(cut)
    assert whole.keys() == resumed.keys()
    for net, state in whole.items():
        for key, value in state.items():
            assert torch.equal(value, resumed[net][key]), (net, key)
    assert _log_without_timing(cut) == _log_without_timing(tmp_path / "whole")

    outputs = []
    for model in (tmp_path / "whole", cut):
        runner = get_method(method, **{k: v for k, v in params.items()
                                       if k != "finetune_steps"})
        runner.load(model, device="cpu")
        complete_set(runner, data, masks, model / "completions")
        outputs.append([p.read_bytes() for p in sorted((model / "completions").glob("*.png"))])
    assert len(outputs[0]) == 6
    assert outputs[0] == outputs[1]  # identical PNGs: identical metrics


# ---- kill -9: the whole Snakemake run, at every stage ----------------------------------------

WORKFLOW_CONFIG = {
    "seed": 0,
    "device": "cpu",
    "datasets": {"chars": {"kind": "fonts", "size": 16, "channels": 1, "n_train": 32,
                           "n_val": 4, "n_test": 8}},
    "masks": {"center": {"kind": "center", "scale": 0.5}},
    "methods": {
        "telea": {"radius": 3},
        # long enough (a few seconds) to be killed between two of its checkpoints
        "context_encoder": {"steps": 300, "batch_size": 8, "base": 4, "bottleneck": 8,
                            "d_base": 4, "checkpoint_every": 50, "sample_every": 0,
                            "log_every": 10},
    },
    # the perceptual networks take seconds to load; the kill points do not need them
    "evaluation": {"bootstrap": 200, "lpips": False, "st_lpips": False},
}
TABLES = ("summary.csv", "by_hole_ratio.csv", "paired.csv")


def _snakemake_cmd(workdir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
            "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
            "--workflow-profile", str(PROFILE), "--cores", "2", *args]


def _snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(_snakemake_cmd(workdir, *args), capture_output=True, text=True,
                            cwd=workdir, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout[-3000:]}\n"
                             f"{result.stderr[-3000:]}")
    return result


def _workdir(path: Path, config: dict) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.yaml").write_text(yaml.safe_dump(config))
    return path


def _run_and_kill(workdir: Path, started, timeout: float = 300) -> None:
    """Start the workflow; kill -9 its whole process group as soon as ``started()``."""
    proc = subprocess.Popen(_snakemake_cmd(workdir), cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while not started():
            assert proc.poll() is None, "the run ended before the kill point"
            assert time.monotonic() < deadline, "the kill point never came"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def assert_nothing_truncated(results: Path) -> int:
    """Every file a rule may read (all but hidden temporaries, logs and benchmarks, which
    no rule reads) decodes completely. Returns how many files were checked."""
    checked = 0
    for path in sorted(results.rglob("*")):
        rel = path.relative_to(results)
        if not path.is_file() or any(p.startswith(".") for p in rel.parts) \
                or rel.parts[0] in ("logs", "benchmarks"):
            continue
        if path.suffix == ".png":
            with Image.open(path) as img:
                img.load()
        elif path.suffix == ".csv":
            assert len(pd.read_csv(path).columns) > 1, path
        elif path.suffix == ".pt":
            load_checkpoint(path)
        elif path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as packed:
                assert all(packed[k].size >= 0 for k in packed.files)
        elif path.suffix == ".json":
            json.loads(path.read_text())
        else:
            assert path.stat().st_size > 0, path
        checked += 1
    return checked


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    workdir = _workdir(tmp_path_factory.mktemp("uninterrupted"), WORKFLOW_CONFIG)
    _snakemake(workdir)
    return workdir / "results"


@pytest.mark.faults
@pytest.mark.slow
def test_run_killed_at_every_stage_resumes_to_identical_tables(reference, tmp_path):
    """kill -9 of the whole Snakemake run during dataset preparation, then (same command
    again) mid-training between checkpoints, then mid-completion, then mid-metrics; after
    each kill nothing a rule reads is truncated; `snakemake --unlock` and the same command
    finish with the uninterrupted run's metrics and tables, training resumed not restarted."""
    workdir = _workdir(tmp_path / "run", WORKFLOW_CONFIG)
    results = workdir / "results"
    model = results / "models/chars/context_encoder"
    stages = [
        ("dataset preparation", lambda: (results / "logs/prepare_dataset/chars.log").exists(),
         lambda: not (results / "data/chars").exists()),
        ("training", lambda: (model / LAST_CHECKPOINT).exists(),
         lambda: not (model / MODEL_JSON).exists()),
        ("completion", lambda: (results / "logs/complete/chars/context_encoder.log")
         .exists(), lambda: not (results / "completions/chars/center/context_encoder").exists()),
        ("metrics", lambda: (results / "logs/evaluate/chars.log").exists(),
         lambda: not list(results.glob("metrics/chars/center/*.csv"))),
    ]
    for i, (stage, started, unfinished) in enumerate(stages):
        if i:
            _snakemake(workdir, "--unlock")
        _run_and_kill(workdir, started)
        assert unfinished(), f"the kill came after {stage} had finished"
        assert_nothing_truncated(results)
        if stage == "training":
            assert 0 < load_checkpoint(model / LAST_CHECKPOINT)["meta"]["step"] < 300
    assert not (results / "tables/summary.csv").exists()
    _snakemake(workdir, "--unlock")
    _snakemake(workdir)
    assert assert_nothing_truncated(results) > 20
    # the rerun jobs removed what the killed ones had left behind
    assert [p for p in results.rglob(".*") if ".tmp" in p.name or ".old-" in p.name] == []
    assert json.loads((model / MODEL_JSON).read_text())["resumed_from"]
    for name in TABLES:
        assert (results / "tables" / name).read_bytes() == \
            (reference / "tables" / name).read_bytes(), name
    for method in WORKFLOW_CONFIG["methods"]:
        rel = Path("metrics/chars/center") / f"{method}.csv"
        assert (results / rel).read_bytes() == (reference / rel).read_bytes(), rel
    whole = _weights(reference / "models/chars/context_encoder")
    for net, state in _weights(model).items():
        assert all(torch.equal(v, whole[net][k]) for k, v in state.items()), net


# ---- bad input through Snakemake -------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize(("change", "names"), [
    (lambda c: c["datasets"].update(mine={"kind": "folder", "size": 16, "path": "../photos"}),
     ["datasets.mine.path", "outside the project"]),
    (lambda c: c["methods"]["context_encoder"].update(steps="many"),
     ["methods.context_encoder.steps", "'many'"]),
])
def test_bad_config_fails_the_workflow_before_any_job(tmp_path, change, names):
    config = yaml.safe_load(yaml.safe_dump(WORKFLOW_CONFIG))
    change(config)
    result = _snakemake(_workdir(tmp_path, config), check=False)
    assert result.returncode != 0
    for name in names:
        assert name in result.stdout + result.stderr, name
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("method", LEARNED)
def test_learned_methods_define_no_hole_and_all_hole_masks(capsys, models, tmp_path, method):
    """No hole: the image comes back unchanged. All hole: a completion of the right size
    from the model alone (post-processing has no known pixel to blend with)."""
    ids = [f"test{i}" for i in range(6)]
    masks = {i: np.ones((SIZE, SIZE), bool) for i in ids[:3]}
    masks.update({i: np.zeros((SIZE, SIZE), bool) for i in ids[3:]})
    write_maskset(tmp_path / "masks", masks)
    code, err = run_cli(capsys, "complete-set", "--data", models / "data", "--masks",
                        tmp_path / "masks", "--method", method, "--model", models / method,
                        "--device", "cpu", "--params", json.dumps(_two_steps(method)),
                        "--out", tmp_path / "out")
    assert code == 0, err
    for i in ids[:3]:
        assert np.array_equal(read_image(tmp_path / "out" / f"{i}.png"),
                              read_image(models / "data" / "test" / f"{i}.png"))
    for i in ids[3:]:
        assert read_image(tmp_path / "out" / f"{i}.png").shape == (SIZE, SIZE, 3)
