"""The tables step reads only the inputs its rule declares (issue 17: honest rule inputs).

Functional: ``inpaint tables`` run in a folder that holds only the files named on its
command line writes the same bytes as in the full results tree (completions, masks and
model folders there), and its blending claim and caveats still run. Rule: the `tables`
job of the default workflow names on its command line exactly the files it declares.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inpaint.cli import main
from inpaint.completion import complete_set
from inpaint.data.store import DatasetInfo, Split, save_dataset
from inpaint.evaluation.evaluate import evaluate_masksets
from inpaint.masks import generate_maskset, write_maskset
from inpaint.methods import get_method
from inpaint.methods.glcic import AUTHORS_BAND, postprocess_record

ROOT = Path(__file__).resolve().parents[2]
MASKSETS = {"center": {"kind": "center", "scale": 0.5}, "box": {"kind": "box"}}
# (run, classical method that makes its completions): only the names matter to the tables
RUNS = (("telea", "telea"), ("biharmonic", "biharmonic"), ("glcic", "telea"),
        ("glcic_raw", "biharmonic"))


def _results(root: Path) -> list[str]:
    """A small results tree; returns the tables command's arguments (rule shape)."""
    rng = np.random.default_rng(0)
    size, n = 16, 12
    images = (rng.random((n, size, size, 3)) * 255).astype(np.uint8)
    info = DatasetInfo(name="toy", kind="folder", label="toy images", size=size, channels=3)
    split, train, val = (Split([f"{s}{i}" for i in range(n)], images, ["synthetic"] * n)
                         for s in ("t", "r", "v"))
    data = root / "results" / "data" / "toy"
    save_dataset(data, info, {"train": train, "val": val, "test": split})
    mask_dirs, folders, outs = [], [], []
    for maskset, block in MASKSETS.items():
        mask_dir = root / "results" / "masks" / "toy" / maskset
        write_maskset(mask_dir, generate_maskset(split.ids, size, "toy", maskset, block, 0))
        mask_dirs.append(mask_dir)
        for run, method in RUNS:
            folder = root / "results" / "completions" / "toy" / maskset / run
            complete_set(get_method(method), data, mask_dir, folder)
            folders.append(folder)
            outs.append(root / "results" / "metrics" / "toy" / maskset / f"{run}.csv")
    evaluate_masksets(data, mask_dirs, folders, outs, use_lpips=False, use_st_lpips=False)
    model = root / "results" / "models" / "toy" / "glcic" / "model.json"
    model.parent.mkdir(parents=True)
    (model.parent / "weights.pt").write_bytes(b"not read by the tables")
    model.write_text(json.dumps({
        "hparams": {"downsamples": 2, "dilations": [2, 4, 8, 16]}, "image_size": [size, size],
        "postprocess": postprocess_record(256, AUTHORS_BAND)}))
    validation = []
    for run, _ in RUNS:
        path = root / "results" / "validation" / "toy" / f"{run}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = ["maskset,image_id,hole_ratio,psnr_hole"] + [
            f"{m},v{i},0.4,{20 + 0.1 * i + (run == 'telea')}" for m in MASKSETS for i in range(6)]
        path.write_text("\n".join(rows) + "\n")
        validation.append(path)
    rel = lambda paths: [str(p.relative_to(root)) for p in paths]  # noqa: E731
    return ["tables", "--metrics", *rel(outs), "--data", *rel([data]), "--bootstrap", "100",
            "--seed", "0", "--no-lpips", "--validation", *rel(validation),
            "--models", *rel([model]), "--out", "results/tables"]


def _declared(args: list[str]) -> list[str]:
    """The paths among the tables arguments (its rule's inputs)."""
    return [a for a in args[1:] if a.startswith("results/") and a != "results/tables"]


def test_tables_read_only_their_declared_inputs(tmp_path, monkeypatch):
    full, only = tmp_path / "full", tmp_path / "only"
    args = _results(full)
    for path in _declared(args):
        source, target = full / path, only / path
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)
    assert not (only / "results" / "completions").exists()
    assert not (only / "results" / "masks").exists()
    for root in (full, only):
        monkeypatch.chdir(root)
        assert main(args) == 0
    pages = sorted(p.name for p in (full / "results" / "tables").iterdir())
    assert len(pages) == 15
    for name in pages:
        a = (full / "results" / "tables" / name).read_bytes()
        assert a == (only / "results" / "tables" / name).read_bytes(), name
    claims = (only / "results" / "tables" / "claims.md").read_text()
    assert "glcic border L1 lower" in claims  # the blending claim ran on the metrics alone
    # the caveat read the declared record (band 3 px), not the defaults at 16 px (0.19 px)
    assert "scaled to 3 px, so hole pixels within 3 px" in claims


@pytest.mark.slow
def test_tables_rule_passes_exactly_its_declared_inputs(tmp_path):
    """Dry run of the default config: the tables job's command names every input it
    declares (metrics, datasets, validation scores, model records) and nothing else."""
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "-n", "-p",
         "--directory", str(tmp_path), "--configfile", str(ROOT / "config.yaml"),
         "--cores", "1", "results/tables/summary.csv"],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    start = lines.index("rule tables:")
    inputs = next(x for x in lines[start:] if x.strip().startswith("input:"))
    command = next(x for x in lines[start:] if x.startswith("Shell command:"))
    declared = {p.strip() for p in inputs.split(":", 1)[1].split(",")}
    named = set(_declared(command.split("> ")[0].split()[3:]))
    assert declared == named
    assert {"results/models/faces/glcic/model.json", "results/data/faces",
            "results/validation/chars/telea.csv"} <= declared
