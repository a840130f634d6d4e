"""The worked example of docs/adding-a-method.md: a learned method in one folder
(tests/methods/toy_method/), registered by importing it, trained and used to complete a
mask set through the command line the workflow's rules call."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from inpaint.cli import main
from inpaint.errors import InpaintError
from inpaint.io import read_image, read_mask
from inpaint.methods import classical_methods, get_method, learned_methods, list_methods
from inpaint.methods.registry import METHODS
from inpaint.training import LAST_CHECKPOINT, MODEL_JSON

HERE = Path(__file__).resolve().parent
SIZE = 16
PARAMS = {"steps": 6, "batch_size": 8, "checkpoint_every": 3, "sample_every": 3,
          "log_every": 1, "width": 8, "lr": 1e-2}


@pytest.fixture(scope="module")
def toy():
    """Import (and so register) the toy method; unregister it afterwards."""
    sys.path.insert(0, str(HERE))
    try:
        import toy_method

        yield toy_method
    finally:
        METHODS._entries.pop("toy_fill", None)
        for name in [m for m in sys.modules if m == "toy_method" or m.startswith("toy_method.")]:
            del sys.modules[name]
        sys.path.remove(str(HERE))


@pytest.fixture(scope="module")
def run(toy, tmp_path_factory, toy_blocks_dataset):
    """Dataset, mask set, a trained toy model and its completions, all through the CLI."""
    root = tmp_path_factory.mktemp("toy")
    data = toy_blocks_dataset(root / "data", SIZE)
    masks, model, out = root / "masks", root / "model", root / "completions"
    params = json.dumps(PARAMS)
    assert main(["make-masks", "--data", str(data), "--dataset", "toy", "--maskset", "pixels",
                 "--params", json.dumps({"kind": "pixels", "p": 0.5}), "--out", str(masks)]) == 0
    assert main(["train", "--data", str(data), "--method", "toy_fill", "--params", params,
                 "--seed", "0", "--device", "cpu", "--threads", "1", "--out", str(model)]) == 0
    assert main(["complete-set", "--data", str(data), "--masks", str(masks), "--method",
                 "toy_fill", "--params", params, "--model", str(model), "--device", "cpu",
                 "--out", str(out)]) == 0
    return {"data": data, "masks": masks, "model": model, "out": out}


def test_importing_the_folder_registers_a_learned_method(toy):
    assert "toy_fill" in list_methods()
    assert "toy_fill" in learned_methods()
    assert "toy_fill" not in classical_methods()
    assert get_method("toy_fill").params["width"] == 16
    with pytest.raises(InpaintError, match=r"methods\.toy_fill\.width"):
        get_method("toy_fill", width=0)


def test_the_method_package_imports_without_torch():
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import toy_method; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code, str(HERE)], check=True)


def test_train_writes_the_model_the_engine_promises(run):
    record = json.loads((run["model"] / MODEL_JSON).read_text())
    assert record["method"] == "toy_fill"
    assert record["steps"] == 6
    assert record["hparams"] == {"width": 8, "lr": 1e-2, "hole_share": 0.5}
    assert record["flip"] is True  # kind "folder": flips allowed
    rows = (run["model"] / "train_log.csv").read_text().splitlines()
    assert rows[0].startswith("step,phase,l1")
    assert len(rows) == 1 + 6
    assert sorted(p.name for p in (run["model"] / "samples").iterdir()) == \
        ["step_000003.png", "step_000006.png"]
    weights = torch.load(run["model"] / LAST_CHECKPOINT, weights_only=True)["modules"]
    assert list(weights) == ["net"]


def test_completions_keep_known_pixels_and_fill_holes_with_the_network(run):
    from inpaint.data.store import load_split
    from inpaint.methods import complete_batch

    ids, images = load_split(run["data"], "test")
    known = np.stack([read_mask(run["masks"] / f"{i}.png") for i in ids])
    written = np.stack([read_image(run["out"] / f"{i}.png") for i in ids])
    assert written.shape == images.shape
    np.testing.assert_array_equal(written[known], images[known])
    method = get_method("toy_fill", **PARAMS)
    method.load(run["model"], device="cpu")
    np.testing.assert_array_equal(written, complete_batch(method, images, known))
    assert (written[~known] != 0).any()  # holes were filled, not left at the zero input


def test_a_config_that_changes_the_architecture_is_refused(run):
    with pytest.raises(InpaintError, match="width"):
        get_method("toy_fill", **{**PARAMS, "width": 4}).load(run["model"], device="cpu")


def test_training_again_resumes_at_the_end(run):
    """The train rule reruns on a changed config: the engine resumes from last.pt."""
    before = torch.load(run["model"] / LAST_CHECKPOINT, weights_only=True)["modules"]["net"]
    assert main(["train", "--data", str(run["data"]), "--method", "toy_fill", "--params",
                 json.dumps(PARAMS), "--seed", "0", "--device", "cpu", "--threads", "1",
                 "--out", str(run["model"])]) == 0
    record = json.loads((run["model"] / MODEL_JSON).read_text())
    assert record["resumed_from"] == 6
    after = torch.load(run["model"] / LAST_CHECKPOINT, weights_only=True)["modules"]["net"]
    assert all(torch.equal(before[k], after[k]) for k in before)
