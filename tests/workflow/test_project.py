"""The project's own files agree with each other (install, CI, README, CLI)."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def pip_section(path):
    deps = yaml.safe_load((ROOT / path).read_text())["dependencies"]
    return [d for d in next(d["pip"] for d in deps if isinstance(d, dict)) if not d.startswith("-")]


def test_conda_files_match_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = project["dependencies"]
    assert sorted(pip_section("workflow/envs/inpaint.yaml")) == sorted(runtime)
    extra = project["optional-dependencies"]["test"]
    assert sorted(pip_section("environment.yml")) == sorted(runtime + extra)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme
    assert re.search(r"^make test$", ci, re.M)  # under set -e its failure fails CI
    assert "make reproduce" in readme


def test_cli_help_lists_every_stage():
    out = subprocess.run([sys.executable, "-m", "inpaint", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for command in ["fetch-faces", "fetch-weights", "fetch-fid-inception", "prepare-data",
                    "make-masks", "train", "complete-set", "complete", "validate", "evaluate",
                    "fid-features", "distribution", "distribution-tables", "tables", "figure",
                    "benchmark-manifest", "verify-benchmark", "methods", "check-config",
                    "generalisation-table"]:
        assert re.search(rf"^\s+{command}\b", out, re.M), command


def test_cli_reports_user_errors_in_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "inpaint", "complete", "--method", "telea",
         "--image", str(tmp_path / "missing.png"), "--mask", str(tmp_path / "m.png"),
         "--out", str(tmp_path / "out.png")],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: image not found: {tmp_path / 'missing.png'}"
    assert not (tmp_path / "out.png").exists()


def test_plain_snakemake_uses_the_default_profile():
    """`snakemake` in the project folder finds workflow/profiles/default (via profiles/)."""
    out = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1"], cwd=ROOT,
                         capture_output=True, text=True)
    assert "workflow specific profile profiles/default" in out.stdout + out.stderr
