"""The workflow on a real single-node SLURM (slurmctld + slurmd + munge, SLURM 22.05).

tests/workflow/slurm/start.sh starts the cluster (as root, no systemd) and
tests/workflow/slurm/stop.sh ends exactly the daemons it started. The tiny config runs
through `snakemake --workflow-profile workflow/profiles/slurm`; every job must
have run as a SLURM job (SLURM's job-completion log and the plugin's per-job
logs name it), and the tables must equal those of a local run.

Runtime (measured 2026-11-22, 2-core machine): about 1-2 minutes, most of it
SLURM status polling and per-job Snakemake start-up. Skipped, with the reason,
where the packages (apt-get install slurmd slurmctld slurm-client munge), the
executor plugin (pip install -e '.[slurm]') or root are missing; .ci/run
installs them.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "slurm"

CONFIG = {
    "seed": 0,
    "device": "cpu",
    "datasets": {"chars": {"kind": "fonts", "size": 16, "channels": 1, "n_train": 32,
                           "n_val": 8, "n_test": 8}},
    "masks": {"center": {"kind": "center", "scale": 0.5}},
    "methods": {"biharmonic": {}, "telea": {"radius": 3}},
    "evaluation": {"bootstrap": 200},
}


def missing_requirements() -> str | None:
    if os.geteuid() != 0:
        return "the test SLURM cluster must be started as root"
    for binary in ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol"]:
        if shutil.which(binary) is None:
            return (f"{binary} not found: apt-get install slurmd slurmctld slurm-client munge")
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm not installed: pip install -e '.[slurm]'"
    if Path("/etc/slurm/slurm.conf").exists():
        return "/etc/slurm/slurm.conf exists: not starting a test cluster over a real one"
    return None


pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(missing_requirements() is not None,
                       reason=str(missing_requirements())),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    state = tmp_path_factory.mktemp("slurm-state")
    started = subprocess.run([str(SCRIPTS / "start.sh"), str(state)], capture_output=True,
                             text=True)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield state
    finally:
        subprocess.run([str(SCRIPTS / "stop.sh"), str(state)], check=False)


def run_snakemake(workdir: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, env=env,
                          timeout=900)


def test_workflow_runs_as_slurm_jobs_and_matches_a_local_run(cluster, tmp_path):
    env = {**os.environ, "SLURM_CONF": str(cluster / "slurm.conf")}
    on_slurm = run_snakemake(tmp_path / "slurm", "--workflow-profile",
                             str(ROOT / "workflow" / "profiles" / "slurm"),
                             # poll faster than the profile's defaults: toy jobs take seconds
                             "--seconds-between-status-checks", "3",
                             "--slurm-init-seconds-before-status-checks", "2", env=env)
    assert on_slurm.returncode == 0, on_slurm.stdout[-3000:] + on_slurm.stderr[-3000:]

    # every non-local Snakemake job ran as a SLURM job
    stats = re.search(r"^total\s+(\d+)$", on_slurm.stdout + on_slurm.stderr, re.M)
    assert stats, "no job stats in the snakemake output"
    n_jobs = int(stats.group(1)) - 1  # rule all runs locally
    records = [line for line in (cluster / "log" / "jobcomp.txt").read_text().splitlines()
               if f"WorkDir={tmp_path / 'slurm'} " in line]
    assert len(records) == n_jobs
    assert all("JobState=COMPLETED" in line for line in records)
    job_ids = {re.search(r"JobId=(\d+)", line).group(1) for line in records}
    logs = list((tmp_path / "slurm" / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert {p.stem for p in logs} == job_ids
    partitions = {re.search(r"Partition=(\S+)", line).group(1) for line in records}
    assert partitions == {"cpu"}  # the profile's default partition

    local = run_snakemake(tmp_path / "local", "--cores", "2")
    assert local.returncode == 0, local.stderr[-3000:]
    for name in ["summary.csv", "by_hole_ratio.csv"]:
        assert (tmp_path / "slurm/results/tables" / name).read_bytes() == (
            tmp_path / "local/results/tables" / name).read_bytes()


def test_gpu_rules_are_accepted_by_the_cluster(cluster, tmp_path):
    """A job asking gpu=1 (as the profile's train rule does) runs on the fake GPU gres."""
    env = {**os.environ, "SLURM_CONF": str(cluster / "slurm.conf")}
    out = subprocess.run(["srun", "-p", "gpu", "--gpus=1", "-t", "1", "printenv",
                          "CUDA_VISIBLE_DEVICES"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"
