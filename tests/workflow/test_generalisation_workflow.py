"""The `generalisation` block through the workflow: runs `{method}.on-{maskset}` trained,
completed and scored apart from the configured runs, and the generalisation table."""

import re
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from tests.workflow.test_workflow import ROOT, TEST_CONFIG, link_pretrained, snakemake

pytestmark = pytest.mark.slow

TRAIN_ON = ["center", "pixels"]


def tiny_config(generalisation: bool) -> dict:
    config = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    config["datasets"]["chars"].update(n_train=32, n_val=4, n_test=4)
    config["methods"]["context_encoder"] = {
        "steps": 3, "batch_size": 8, "base": 4, "bottleneck": 8, "d_base": 4,
        "checkpoint_every": 2, "sample_every": 2}
    if generalisation:
        config["generalisation"] = {"methods": ["context_encoder"], "train_on": TRAIN_ON}
    return config


def test_switching_it_on_adds_the_table_and_leaves_the_configured_outputs(
        tmp_path, imagenet_weights):
    """A finished run without the block, then the block switched on in the same folder:
    only the generalisation jobs run, the summary/paired/claims outputs stay as they were,
    and generalisation.* has a row per trained-on x tested-on with the diagonal marked."""
    link_pretrained(tmp_path, [p.with_suffix(s) for p in imagenet_weights.values()
                               for s in (".pt", ".json")])
    snakemake(tmp_path, tiny_config(False))
    tables = tmp_path / "results" / "tables"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tables.iterdir()}
    result = snakemake(tmp_path, tiny_config(True), "--printshellcmds")
    out = result.stdout + result.stderr
    assert out.count("inpaint train") == len(TRAIN_ON)
    assert "inpaint tables" not in out
    assert "rule evaluate:" not in out
    for name, (data, mtime) in before.items():
        path = tables / name
        assert (path.read_bytes(), path.stat().st_mtime_ns) == (data, mtime), name
    models = tmp_path / "results" / "models" / "chars"
    assert sorted(p.name for p in models.iterdir()) == [
        "context_encoder", "context_encoder.on-center", "context_encoder.on-pixels"]
    record = yaml.safe_load((models / "context_encoder.on-pixels" / "model.json").read_text())
    assert record["hparams"]["train_masks"] == [{"kind": "pixels", "p": 0.8, "weight": 1.0}]
    assert "on-" not in (tables / "summary.csv").read_text()

    table = pd.read_csv(tables / "generalisation.csv")
    masksets = list(TEST_CONFIG["masks"])
    assert len(table) == (len(TRAIN_ON) + 1) * len(masksets)
    assert list(dict.fromkeys(table.trained_on)) == [*TRAIN_ON, "(mixture)"]
    trained = table[table.trained_on != "(mixture)"]
    assert (trained.seen == (trained.trained_on == trained.tested_on)).all()
    # the configured run trains on the default mixture, which holds both tested sets
    assert table[table.trained_on == "(mixture)"].seen.all()
    assert table.psnr_hole_mean.notna().all()
    assert table.lpips_mean.notna().all()
    assert (table.n == 4).all()
    # the reference row is the configured run's own scores
    summary = pd.read_csv(tables / "summary.csv").set_index(["maskset", "method"])
    reference = table[table.trained_on == "(mixture)"].set_index("tested_on")
    for maskset in masksets:
        assert reference.loc[maskset, "psnr_hole_mean"] == pytest.approx(
            summary.loc[(maskset, "context_encoder"), "psnr_hole_mean"])
    markdown = (tables / "generalisation.md").read_text()
    psnr = markdown.split("Hole PSNR (dB, higher is better)")[1].split("LPIPS")[0]
    rows = [line for line in psnr.splitlines() if line.startswith("| ")]
    assert rows[0] == "| trained on \\ tested on | center | pixels | mean unseen |"
    assert [r.split(" | ")[0] for r in rows[1:]] == ["| center", "| pixels",
                                                     "| mixture (center 25%, box 25%, "
                                                     "irregular 25%, pixels 25%)"]
    cells = [r.split(" | ")[1:3] for r in rows[1:]]
    assert [["(seen)" in c for c in row] for row in cells] == [
        [True, False], [False, True], [True, True]]
    assert (tables / "generalisation.html").exists()


def dry_run(tmp_path, config: dict) -> tuple[dict[str, str], list[str]]:
    """Every job's shell command of a dry run, by its log file; the output's lines."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "-n", "-p",
         "--forceall", "--directory", str(tmp_path), "--configfile", str(path), "--cores", "2"],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    commands = [line for line in lines if line.startswith("Shell command:")]
    return {re.findall(r"> (\S+) 2>&1", c)[-1] if "> " in c else c: c for c in commands}, lines


def test_the_block_adds_jobs_and_changes_none(tmp_path):
    """config/generalisation.yaml with and without its block: every job of the run without
    it has the same command with it (the tables job reads no generalisation run), and the
    generalisation table's command names exactly its declared inputs."""
    config = yaml.safe_load((ROOT / "config" / "generalisation.yaml").read_text())
    with_block, lines = dry_run(tmp_path / "with", config)
    config.pop("generalisation")
    without = dry_run(tmp_path / "without", config)[0]
    assert {k: with_block.get(k) for k in without} == without
    added = set(with_block) - set(without)
    assert len([k for k in added if k.startswith("results/logs/train/")]) == 2 * 3 * 4
    assert "results/logs/generalisation_table.log" in added
    command = with_block["results/logs/generalisation_table.log"]
    named = [a for a in command.split("> ")[0].split() if a.startswith("results/")
             and a != "results/tables"]
    start = lines.index("rule generalisation_table:")
    inputs = next(x for x in lines[start:] if x.strip().startswith("input:"))
    assert {p.strip() for p in inputs.split(":", 1)[1].split(",")} == set(named)
    metrics = [a for a in named if a.startswith("results/metrics/")]
    assert len(metrics) == 2 * 4 * (3 + 3 * 4)  # datasets x tested x (reference + runs)
    assert "results/models/faces/pconv.on-box/model.json" in named
    assert "results/models/chars/glcic/model.json" in named
