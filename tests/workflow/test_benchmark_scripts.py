"""The run-analysis scripts: per-rule summary of Snakemake benchmark files
(benchmarks/rule_times.py), run comparison (compare_runs.py), core usage (run_timeline.py)."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def rule_times():
    spec = importlib.util.spec_from_file_location("rule_times", ROOT / "benchmarks/rule_times.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write(path: Path, wall: float, cpu: float, rss: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{wall}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n")


def test_per_rule_sums_and_longest_job(tmp_path, capsys):
    module = rule_times()
    write(tmp_path / "train/faces/pconv.tsv", 100.0, 90.0, 1200.0)
    write(tmp_path / "train/chars/pconv.tsv", 60.0, 50.0, 1100.0)
    write(tmp_path / "complete/faces/center/telea.tsv", 2.0, 1.0, 300.0)
    table = module.per_rule(module.load(tmp_path))
    assert table.loc["train", "jobs"] == 2
    assert table.loc["train", "cpu_s"] == pytest.approx(140.0)
    assert table.loc["train", "longest_job"] == "faces/pconv"
    assert table.loc["all", "wall_s"] == pytest.approx(162.0)
    assert table.loc["all", "peak_rss_mb"] == 1200.0
    assert module.main([str(tmp_path), "--jobs"]) == 0
    assert "faces/pconv" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no Snakemake benchmark files"):
        module.main([str(tmp_path / "none")])


def script(name: str):
    """benchmarks/{name}.py as the module ``name`` (its dataclasses need sys.modules)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / f"benchmarks/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


TOY_CONFIG = """
datasets:
  d: {kind: photos, size: 16}
masks:
  center: {kind: center}
methods:
  telea: {}
  yeh_dcgan: {steps: 4, batch_size: 2, base: 4, nz: 8, restarts: 1}
  yeh_dcgan_raw: {steps: 4, batch_size: 2, base: 4, nz: 8, restarts: 1}
  glcic: {steps: 50, batch_size: 2, width: 4, d_width: 4}
"""


def test_efficiency_layer_ops_replay_the_step_flops():
    """The recorded convolutions / matmuls of a step are all of its counted FLOPs."""
    import torch

    module = script("efficiency")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1),
                              torch.nn.Flatten(), torch.nn.Linear(4 * 16 * 16, 5))
    x = torch.randn(2, 3, 8, 8)

    def step():
        net(x).square().sum().backward()

    layers = module.record_layers(step)
    assert layers.flops == module.count_flops(step) > 0
    names = {op.func._overloadpacket.__name__ for op in layers.ops}
    assert {"convolution", "convolution_backward", "addmm", "mm"} <= names
    assert module.layer_rate(layers, min_time=0.001) > 0


def test_efficiency_rows_weight_phases_by_their_steps():
    module = script("efficiency")
    a = module.Phase("m", "a", [1, 2, 3], 0.75, flops=3e9, step_s=[0.1, 0.3, 0.2],
                     peak=[5e10], own=[3e10])
    b = module.Phase("m", "b", [4], 0.25, flops=1e9, step_s=[0.1], peak=[6e10], own=[2e10])
    rows = module.rows([a, b])
    assert [r.method for r in rows] == ["m [a, 75%]", "m [b, 25%]", "m (training)"]
    assert rows[0].achieved == pytest.approx(3e9 / 0.2)
    whole = rows[-1]
    assert whole.flops == pytest.approx(2.5e9)
    assert whole.step_s == pytest.approx(0.175)
    # own-layer rate of the whole: FLOPs over the replay seconds of each phase's share
    assert whole.own == pytest.approx(2.5e9 / (0.75 * 0.1 + 0.25 * 0.05))
    assert "| m (training) |" in module.table(rows)
    assert module.rows([a])[0].method == "m"


def test_efficiency_smoke(tmp_path, capsys):
    """The whole benchmark at toy size: every learned method with a model of its own."""
    module = script("efficiency")
    config = tmp_path / "config.yaml"
    config.write_text(TOY_CONFIG)
    assert module.main(["--config", str(config), "--repeats", "1", "--steps", "1",
                        "--warmup", "1", "--min-time", "0.001", "--profile",
                        "--profile-below", "2"]) == 0
    out = capsys.readouterr().out
    assert "| yeh_dcgan |" in out
    assert "| glcic (training) |" in out
    assert "yeh_dcgan_raw" not in out  # shares yeh_dcgan's model
    assert "### glcic (" in out
    assert "step profiled" in out
    assert "inpaint/methods/glcic/system.py" in out
    assert "Self CPU" in out


def test_gpu_without_cuda_says_so(capsys, monkeypatch):
    import torch

    module = script("gpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert module.main([]) == 0
    assert "no CUDA device" in capsys.readouterr().out


def test_gpu_rows_on_the_cpu(tmp_path):
    """The CUDA path's row builders, run on the CPU at toy size, and the tables written."""
    import pandas as pd

    module = script("gpu")
    config = tmp_path / "toy.yaml"
    config.write_text(TOY_CONFIG)
    out = tmp_path / "out"
    assert module.main([str(config), "--device", "cpu", "--steps", "1", "--warmup", "1",
                        "--search-batch", "3", "--search-steps", "2", "--out", str(out)]) == 0
    frame = pd.read_csv(out / "gpu.csv")
    assert list(frame.columns) == module.COLUMNS
    assert list(frame.method) == ["yeh_dcgan", "yeh_dcgan (latent search)", "glcic", "glcic",
                                  "glcic"]
    assert list(frame.phase[2:]) == ["completion", "discriminator", "joint"]
    assert (frame.images_per_s > 0).all()
    assert frame.peak_mem_mb.isna().all()
    assert frame.batch.tolist() == [2, 3, 2, 2, 2]
    assert (frame["size"] == 16).all()
    assert "| toy" in (out / "gpu.md").read_text()


def test_scaling_configs_and_fit():
    module = script("scaling")
    config = module.workflow_config(100, datasets=2, masksets=6)
    assert list(config["datasets"]) == ["photos0", "photos1"]
    assert config["datasets"]["photos0"]["n_test"] == 100
    assert list(config["masks"]) == ["center", "box", "irregular", "pixels", "center1", "box1"]
    assert list(config["methods"]) == ["biharmonic", "telea", "navier_stokes"]
    assert module.fit([1, 2, 3], [5, 7, 9]) == pytest.approx((2.0, 3.0))


@pytest.mark.slow
def test_scaling_dry_run(capsys):
    """The DAG part for real (dry runs of this checkout's workflow)."""
    module = script("scaling")
    assert module.main(["--n", "--dag", "1"]) == 0
    out = capsys.readouterr().out
    assert "DAG build = " in out
    assert "ms x jobs" in out


def test_scaling_report_fits_per_image_costs():
    import pandas as pd

    module = script("scaling")
    runs = pd.DataFrame({"n_test": [64, 256, 1024], "wall_s": [30.0, 40.0, 80.0],
                         "cpu_s": [20.0, 30.0, 70.0], "timed_jobs": 8, "metric_csvs": 12,
                         "evaluate_s": [5.0, 10.0, 30.0],
                         "evaluate_rss_mb": [900.0, 900.0, 900.0], "complete_s": 1.0,
                         "peak_rss_mb": 900.0, "peak_rss_rule": "evaluate"})
    dags = pd.DataFrame({"k": [1, 4], "cells": [3, 48], "jobs": [15, 75],
                         "seconds": [3.0, 3.6]})
    text = module.report(runs, dags)
    slope, fixed = module.fit(runs.n_test, runs.cpu_s)
    assert f"CPU time = {fixed:.1f} s + {slope * 1e3:.1f} ms x n_test" in text
    assert "evaluate peak RSS = 900 MB + 0.00 MB per 1000 test images" in text
    assert "DAG build = 2.85 s + 10.00 ms x jobs" in text
    assert module.children_cpu() >= 0


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / f"benchmarks/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compare_runs_names_differing_and_new_files(tmp_path, capsys):
    module = load_script("compare_runs")
    for run in ("a", "b"):
        (tmp_path / run / "tables").mkdir(parents=True)
        (tmp_path / run / "tables" / "summary.csv").write_text("same\n")
        (tmp_path / run / "tables" / ".snakemake_timestamp").write_text(run)
    (tmp_path / "a" / "tables" / "claims.md").write_text("five claims\n")
    (tmp_path / "b" / "tables" / "claims.md").write_text("six claims\n")
    (tmp_path / "b" / "tables" / "resolution.csv").write_text("new\n")
    result = module.compare(tmp_path / "a", tmp_path / "b")
    assert result["tables"] == {"same": ["tables/summary.csv"], "differ": ["tables/claims.md"],
                                "only_a": [], "only_b": ["tables/resolution.csv"]}
    assert module.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    assert "differs: tables/claims.md" in capsys.readouterr().out
    (tmp_path / "b" / "tables" / "claims.md").write_text("five claims\n")
    assert module.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 0


def test_run_timeline_counts_idle_core_seconds(tmp_path, capsys):
    module = load_script("run_timeline")
    log = tmp_path / "run.log"
    log.write_text(
        "[Thu Dec  3 12:00:00 2026]\nlocalrule train:\n    jobid: 1\n"
        "[Thu Dec  3 12:00:00 2026]\nlocalrule train:\n    jobid: 2\n"
        "[Thu Dec  3 12:00:10 2026]\nFinished jobid: 2 (Rule: train)\n"
        "[Thu Dec  3 12:00:40 2026]\nFinished jobid: 1 (Rule: train)\n")
    jobs = module.parse(log.read_text().splitlines())
    assert [j[0] for j in jobs] == ["train", "train"]
    span, idle, _ = module.busy(jobs, cores=2)
    assert span == 40
    assert idle == 30  # one core idle from 10 s to 40 s
    assert module.main([str(log), "--cores", "2"]) == 0
    assert "30 of 80 core-seconds idle" in capsys.readouterr().out
    log.write_text("nothing\n")
    with pytest.raises(SystemExit, match="no jobs found"):
        module.main([str(log)])
