"""Data-parallel training on the CPU: gloo backend, 2 processes, tiny models (seconds)."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from inpaint.config import check_config, launch_prefix, method_gpus, method_params
from inpaint.data.store import DatasetInfo, Split, save_dataset
from inpaint.errors import InpaintError
from inpaint.training import (
    LAST_CHECKPOINT,
    LOG_FILE,
    MODEL_JSON,
    ImageSampler,
    Runtime,
    TrainConfig,
    TrainingSystem,
    distributed,
    load_checkpoint,
    train,
)
from inpaint.training.distributed import World

ROOT = Path(__file__).resolve().parents[2]
SIZE = 8


def images(n: int = 12, channels: int = 1, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, SIZE, SIZE, channels), np.uint8)


class ShiftSystem(TrainingSystem):
    """A deterministic toy: a 3x3 conv learns to shift images by one pixel (mean squared
    error, SGD with momentum). No randomness, no batch norm: its update depends only on
    the global batch, so a 2-process run must match a 1-process run."""

    loss_names = ("mse",)

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.net = nn.Conv2d(1, 1, 3, padding=1).to(self.device)
        self.modules = {"net": self.net}
        self.optimizers = {"sgd": torch.optim.SGD(self.net.parameters(), lr=0.5, momentum=0.5)}

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        loss = ((self.net(batch) - batch.roll(1, dims=3)) ** 2).mean()
        opt = self.optimizers["sgd"]
        opt.zero_grad(set_to_none=True)
        self.runtime.scaler.backward(loss)
        self.runtime.scaler.step(opt)
        return {"mse": loss.item()}

    def sample(self, batch: torch.Tensor) -> torch.Tensor:
        return torch.cat([batch, self.net(batch).clamp(0, 1)])


def _config(**kw) -> TrainConfig:
    base = {"method": "shift", "steps": 6, "batch_size": 4, "device": "cpu", "flip": True,
            "checkpoint_every": 3, "sample_every": 3, "log_every": 2, "progress": False}
    return TrainConfig(**{**base, **kw})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world_size: int, port: int, model_dir: str) -> None:
    """One rank of a gloo process group (as torchrun would start it)."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    train(ShiftSystem, images(), model_dir, _config())


def test_sampler_shards_are_the_single_process_batch():
    data = images(10, channels=3)
    whole = ImageSampler(data, 6, seed=3, flip=True)
    shards = [ImageSampler(data, 6, seed=3, flip=True, rank=r, world_size=3) for r in range(3)]
    for step in (1, 2, 5):
        assert torch.equal(torch.cat([s.batch(step) for s in shards]), whole.batch(step))
    with pytest.raises(ValueError, match="equal share"):
        ImageSampler(data, 5, rank=0, world_size=2)


@pytest.mark.slow  # two processes importing torch: ~10-20 s on 2 shared cores
def test_two_gloo_processes_train_like_one(tmp_path):
    """2 ranks x 2 images = the 4-image batch of one process: the same weights; rank 0
    alone writes the checkpoint, one log and model.json."""
    single, double = tmp_path / "single", tmp_path / "double"
    train(ShiftSystem, images(), single, _config())
    torch.multiprocessing.start_processes(_worker, args=(2, _free_port(), str(double)),
                                          nprocs=2, start_method="spawn")
    one = load_checkpoint(single / LAST_CHECKPOINT)["modules"]["net"]
    two = load_checkpoint(double / LAST_CHECKPOINT)["modules"]["net"]
    for key in one:
        torch.testing.assert_close(two[key], one[key], rtol=1e-5, atol=1e-6)
    info = json.loads((double / MODEL_JSON).read_text())
    assert info["world_size"] == 2
    assert info["steps"] == 6
    assert info["batch_size"] == 4
    assert json.loads((single / MODEL_JSON).read_text())["world_size"] == 1
    with open(double / LOG_FILE) as handle:
        rows = list(csv.DictReader(handle))
    with open(single / LOG_FILE) as handle:
        reference = list(csv.DictReader(handle))
    assert [r["step"] for r in rows] == ["2", "4", "6"]  # written once, not once per rank
    for row, ref in zip(rows, reference, strict=True):  # the ranks' mean = the batch's loss
        assert float(row["mse"]) == pytest.approx(float(ref["mse"]), rel=1e-5)
    assert sorted(p.name for p in (double / "samples").iterdir()) == \
        ["step_000003.png", "step_000006.png"]


def test_batch_must_split_over_the_ranks():
    with pytest.raises(InpaintError, match=r"methods.glcic.batch_size \(6\).*4"):
        distributed.check_batch(6, World(0, 4), "glcic")
    assert distributed.check_batch(96, World(1, 4), "glcic") == 24


def test_torchrun_environment(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    assert distributed.env_world() == World()
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert distributed.env_world() == World(1, 2, 0)
    monkeypatch.setenv("RANK", "2")
    with pytest.raises(InpaintError, match="inconsistent torchrun environment"):
        distributed.env_world()
    monkeypatch.setenv("RANK", "x")
    with pytest.raises(InpaintError, match="RANK='x'"):
        distributed.env_world()
    # rank 0 keeps the run's seed: a one-process run is unchanged
    assert distributed.rank_seed(5, World(0, 2)) == 5
    assert distributed.rank_seed(5, World(1, 2)) != distributed.rank_seed(5, World(2, 3)) != 5


def test_launch_prefix_and_gpus_key():
    assert launch_prefix(1) == "python -m inpaint"
    assert launch_prefix(4) == ("python -m torch.distributed.run --standalone "
                                "--nnodes=1 --nproc_per_node=4 -m inpaint")
    with pytest.raises(InpaintError, match="gpus must be a positive integer"):
        launch_prefix(0)
    config = {"methods": {"glcic": {"gpus": 4, "batch_size": 96, "steps": 10},
                          "telea": None}}
    assert method_gpus(config, "glcic") == 4
    assert method_gpus(config, "telea") == 1
    assert "gpus" not in method_params(config, "glcic")  # the method never sees it
    check_config(config)
    config["methods"]["glcic"]["batch_size"] = 90
    with pytest.raises(InpaintError, match=r"methods.glcic.batch_size \(90\).*gpus \(4\)"):
        check_config(config)
    with pytest.raises(InpaintError, match=r"methods\.telea\.gpus: telea is not trained"):
        check_config({"methods": {"telea": {"gpus": 2}}})
    with pytest.raises(InpaintError, match=r"methods\.glcic\.gpus must be a positive integer"):
        check_config({"methods": {"glcic": {"gpus": "4"}}})


@pytest.mark.slow  # two processes importing torch: ~10-20 s on 2 shared cores
def test_torchrun_inpaint_train_two_processes(tmp_path):
    """The train rule's command line with gpus: 2 on the CPU: torchrun starts two
    `inpaint train` processes (gloo); a normal model directory comes out."""
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (12, 16, 16, 3), np.uint8)
    info = DatasetInfo(name="toy", kind="folder", label="toy", size=16, channels=3)

    def split(prefix, part):
        return Split([f"{prefix}{i}" for i in range(len(part))], part, ["toy"] * len(part))

    save_dataset(tmp_path / "data", info, {"train": split("a", data[:8]),
                                           "val": split("v", data[8:10]),
                                           "test": split("t", data[10:])})
    params = {"steps": 3, "batch_size": 4, "base": 4, "bottleneck": 8, "d_base": 4,
              "checkpoint_every": 2, "sample_every": 0, "log_every": 1}
    out = tmp_path / "model"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    command = (f"{launch_prefix(2)} train --data {tmp_path / 'data'} "
               f"--method context_encoder --params '{json.dumps(params)}' --seed 0 "
               f"--device cpu --threads 1 --out {out}")
    command = command.replace("python ", f"{sys.executable} ", 1)
    done = subprocess.run(command, shell=True, env=env, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    info = json.loads((out / MODEL_JSON).read_text())
    assert info["world_size"] == 2
    assert info["method"] == "context_encoder"
    with open(out / LOG_FILE) as handle:
        assert [r["step"] for r in csv.DictReader(handle)] == ["1", "2", "3"]
    assert load_checkpoint(out / LAST_CHECKPOINT)["meta"]["step"] == 3
