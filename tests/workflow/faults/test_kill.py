"""kill -9: of a write, of `inpaint train` between checkpoints and of the whole Snakemake
run at every stage; rerun, each ends with the uninterrupted run's bytes. The kills of
training and of the run carry the ``faults`` marker: deselected by the default ``pytest``
run, run by ``.ci/run`` (``python -m pytest -m faults``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from inpaint.completion import complete_set
from inpaint.masks import generate_maskset, write_maskset
from inpaint.methods import get_method
from inpaint.training import LAST_CHECKPOINT, MODEL_JSON, load_checkpoint

from .helpers import (
    KILL_AT,
    LEARNED,
    PHASED,
    ROOT,
    SIZE,
    TINY,
    WORKFLOW_CONFIG,
    make_dataset,
    snakemake,
    snakemake_cmd,
    workdir_with,
)


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
    if method in PHASED:
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


TABLES = ("summary.csv", "by_hole_ratio.csv", "paired.csv")


def _run_and_kill(workdir: Path, started, timeout: float = 300) -> None:
    """Start the workflow; kill -9 its whole process group as soon as ``started()``."""
    proc = subprocess.Popen(snakemake_cmd(workdir), cwd=workdir, stdout=subprocess.DEVNULL,
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
    workdir = workdir_with(tmp_path_factory.mktemp("uninterrupted"), WORKFLOW_CONFIG)
    snakemake(workdir)
    return workdir / "results"


@pytest.mark.faults
@pytest.mark.slow
def test_run_killed_at_every_stage_resumes_to_identical_tables(reference, tmp_path):
    """kill -9 of the whole Snakemake run during dataset preparation, then (same command
    again) mid-training between checkpoints, then mid-completion, then mid-metrics; after
    each kill nothing a rule reads is truncated; `snakemake --unlock` and the same command
    finish with the uninterrupted run's metrics and tables, training resumed not restarted."""
    workdir = workdir_with(tmp_path / "run", WORKFLOW_CONFIG)
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
            snakemake(workdir, "--unlock")
        _run_and_kill(workdir, started)
        assert unfinished(), f"the kill came after {stage} had finished"
        assert_nothing_truncated(results)
        if stage == "training":
            assert 0 < load_checkpoint(model / LAST_CHECKPOINT)["meta"]["step"] < 300
    assert not (results / "tables/summary.csv").exists()
    snakemake(workdir, "--unlock")
    snakemake(workdir)
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
