"""Unknown names, wrong types and paths leaving the project are named before any work:
by the CLI, by `inpaint check-config` and by the workflow before its first job.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from inpaint.config import ENGINE_INT_SETTINGS, project_path
from inpaint.errors import InpaintError
from inpaint.masks import generate_maskset, write_maskset
from inpaint.training.engine import TrainConfig

from .helpers import (
    SIZE,
    TINY,
    WORKFLOW_CONFIG,
    assert_one_error_line,
    listing,
    make_dataset,
    run_cli,
    save,
    smooth_images,
    snakemake,
    workdir_with,
)


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
    result = snakemake(workdir_with(tmp_path, config), check=False)
    assert result.returncode != 0
    for name in names:
        assert name in result.stdout + result.stderr, name
    assert not (tmp_path / "results").exists()
