"""The per-rule summary of Snakemake benchmark files (benchmarks/rule_times.py)."""

import importlib.util
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
