"""Trained models: missing, truncated, foreign or corrupt checkpoints are named and leave
no output; a non-finite loss stops training and keeps the last good checkpoint.
"""

from __future__ import annotations

import json
import shutil

import pytest

from inpaint.methods import get_method_class, list_methods
from inpaint.training import LAST_CHECKPOINT, MODEL_JSON, load_checkpoint

from .helpers import (
    KILL_AT,
    LEARNED,
    PHASED,
    TINY,
    assert_one_error_line,
    complete_with,
    copy_model,
    make_dataset,
    run_cli,
)


def test_every_learned_method_of_the_registry_is_under_test():
    """The fault tests cover the registry's learned methods, not a list kept by hand: a new
    learned method fails here until it has tiny settings and a kill step."""
    learned = [m for m in list_methods() if get_method_class(m).learned]
    assert set(LEARNED) <= set(learned)
    assert {get_method_class(m).model_owner() for m in learned} == set(LEARNED)
    assert set(TINY) == set(LEARNED), "tiny settings in tests/workflow/faults/helpers.py"
    assert set(KILL_AT) == set(LEARNED), "a kill step in tests/workflow/faults/helpers.py"
    assert set(PHASED) <= set(LEARNED)


@pytest.mark.parametrize("method", LEARNED)
def test_trained_model_completes(capsys, models, tmp_path, method):
    code, err = complete_with(capsys, models, method, models / method, tmp_path / "out")
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
        copy_model(models, method, model)
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
        copy_model(models, other, model)
        culprit = other
    elif fault == "another image size":
        data = make_dataset(tmp_path / "data32", size=32)
        culprit = "16"
    elif fault == "corrupt model.json":
        culprit = model / "model.json"
        culprit.write_text('{"method": ')
    code, err = complete_with(capsys, models, method, model, tmp_path / "out", data=data)
    assert code == 2
    assert_one_error_line(err, culprit)
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_resuming_on_another_methods_checkpoint_is_refused(capsys, models, tmp_path):
    model = copy_model(models, "context_encoder", tmp_path / "model")
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
