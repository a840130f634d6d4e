"""Shared helpers of the fault-injection tests (tests/workflow/faults/).

Each fault must end in one clear ``error: ...`` line naming the culprit, exit status 2
and no partial output; a killed run or training job must finish, when rerun, with the
same numbers as an uninterrupted one. The learned methods under test come from the
method registry: every registered learned method that trains a model of its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
import yaml
from PIL import Image

from inpaint.cli import main
from inpaint.data.store import DatasetInfo, Split, save_dataset
from inpaint.methods import get_method_class, list_methods

ROOT = Path(__file__).resolve().parents[3]
PROFILE = ROOT / "workflow" / "profiles" / "default"
SIZE = 16


def trained_methods() -> list[str]:
    """Every registered learned method that trains its own model; a variant that completes
    with another's model (``shares_model_with``, e.g. glcic_raw) is covered through it."""
    return [m for m in list_methods()
            if get_method_class(m).learned and get_method_class(m).model_owner() == m]


LEARNED = tuple(trained_methods())
# Tiny settings per trained method, 1 thread (test_checkpoints.py checks that every
# method of LEARNED has one). Kills land between checkpoints and, for glcic and the pconv
# U-Nets, in another phase than the last checkpoint's: glcic's discriminator phase after
# a completion-phase checkpoint, pconv's fine-tuning after a training-phase one.
_CE = {"steps": 6, "batch_size": 8, "base": 4, "bottleneck": 8, "checkpoint_every": 2,
       "sample_every": 0, "log_every": 1}
_PCONV = {"steps": 6, "batch_size": 4, "base_channels": 4, "finetune_steps": 2, "mask_pool": 0,
          "checkpoint_every": 2, "sample_every": 0, "log_every": 1}
TINY = {
    "yeh_dcgan": {"steps": 6, "batch_size": 8, "base": 8, "nz": 16, "checkpoint_every": 2,
                  "sample_every": 0, "log_every": 1, "search_steps": 3, "restarts": 1},
    "context_encoder": {**_CE, "d_base": 4},
    "context_encoder_l2": _CE,
    "glcic": {"steps": 10, "batch_size": 4, "width": 4, "d_width": 4, "completion_steps": 4,
              "discriminator_steps": 3, "checkpoint_every": 3, "sample_every": 0,
              "log_every": 1},
    "pconv": _PCONV,
    "pconv_plainconv": _PCONV,
    "lama": {"steps": 6, "batch_size": 4, "ngf": 4, "n_blocks": 1, "ndf": 4, "d_layers": 2,
             "checkpoint_every": 2, "sample_every": 0, "log_every": 1},
}
# kill -9 at this step (the last checkpoint before it: 2, 2, 2, 3, 4, 4, 2)
KILL_AT = {"yeh_dcgan": 3, "context_encoder": 3, "context_encoder_l2": 3, "glcic": 5,
           "pconv": 5, "pconv_plainconv": 5, "lama": 3}
# methods whose kill lands in another training phase than their last checkpoint's
PHASED = ("glcic", "pconv", "pconv_plainconv")


def two_steps(method: str) -> dict:
    """The method's tiny settings cut to 2 steps in one phase."""
    params = {**TINY[method], "steps": 2}
    params.pop("finetune_steps", None)
    if "completion_steps" in params:  # glcic: straight to the joint phase's weights
        params.update(completion_steps=1, discriminator_steps=0)
    return params


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


def complete_with(capsys, models: Path, method: str, model: Path, out: Path,
                  data: Path | None = None) -> tuple[int, str]:
    """``inpaint complete-set`` with ``model`` on the ``models`` fixture's data and masks."""
    params = two_steps(method)
    return run_cli(capsys, "complete-set", "--data", data or models / "data", "--masks",
                   models / "masks", "--method", method, "--model", model, "--device", "cpu",
                   "--params", json.dumps(params), "--out", out)


def copy_model(models: Path, method: str, dest: Path) -> Path:
    shutil.copytree(models / method, dest)
    return dest


def truncated_png(path: Path) -> None:
    save(smooth_images(1, 3, 24)[0], path)
    path.write_bytes(path.read_bytes()[:200])


# ---- the workflow at toy size ---------------------------------------------------------------

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


def snakemake_cmd(workdir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
            "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
            "--workflow-profile", str(PROFILE), "--cores", "2", *args]


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(snakemake_cmd(workdir, *args), capture_output=True, text=True,
                            cwd=workdir, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout[-3000:]}\n"
                             f"{result.stderr[-3000:]}")
    return result


def workdir_with(path: Path, config: dict) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.yaml").write_text(yaml.safe_dump(config))
    return path
