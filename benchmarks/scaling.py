"""How the workflow's cost grows: with the test set, and with the size of the DAG.

1. **Test images.** For each ``--n`` (n_test), the whole workflow (``snakemake --cores 1``)
   from an empty temporary folder, with this checkout's Snakefile and code: one dataset
   (``kind: photos`` at 32 px, 16 train / 16 val images, n_test test images), the default
   config's four mask sets, the classical methods biharmonic, telea and navier_stokes,
   evaluation (LPIPS and ST-LPIPS on, as in the default run), validation, figures and
   tables. Wall time and CPU time (user + system of every process: robust on a loaded
   machine) of the run, and peak RSS per rule from Snakemake's ``benchmark:`` files (the
   evaluate job's must stay flat in n: it scores in batches). Least squares
   (``numpy.polyfit``) gives the seconds per test image and the fixed cost.
2. **DAG size.** ``snakemake -n`` for k datasets x k mask sets x the three methods,
   k = ``--dag`` (1, 4, 16 by default); least squares over the dry run's job count gives
   the seconds per job and the fixed start-up.

    python benchmarks/scaling.py                      # ~5-8 min on 1 core
    python benchmarks/scaling.py --n 8 --dag 1 2      # smoke size

The ImageNet AlexNet / VGG16 files LPIPS needs are copied from resources/pretrained/
into each temporary folder (run the default workflow, or ``inpaint fetch-weights
imagenet``, once first); nothing is written into the checkout.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from rule_times import load as load_benchmarks  # noqa: E402

METHODS = ("biharmonic", "telea", "navier_stokes")
PRETRAINED = ("alexnet_imagenet.pt", "alexnet_imagenet.json", "vgg16_imagenet.pt",
              "vgg16_imagenet.json")
SMALL_SPLIT = 16  # train and val images: the cost under test is the test set's


def default_masks() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())["masks"]


def workflow_config(n_test: int, datasets: int = 1, masksets: int = 4,
                    methods: tuple[str, ...] = METHODS) -> dict:
    """A config: ``datasets`` photo datasets of ``n_test`` test images, ``masksets`` mask
    sets (the default four, then more of their kinds under new names), ``methods``."""
    base = default_masks()
    kinds = list(base.items())
    masks = {}
    for i in range(masksets):
        name, block = kinds[i % len(kinds)]
        masks[name if i < len(kinds) else f"{name}{i // len(kinds)}"] = dict(block)
    # photos: one of the seven source photos goes to the test split, so it needs n_test crops
    data = {"kind": "photos", "size": 32, "n_train": SMALL_SPLIT, "n_val": SMALL_SPLIT,
            "n_test": n_test, "crops_per_photo": max(n_test, 64)}
    return {
        "seed": 0,
        "device": "cpu",
        "datasets": {f"photos{i}" if datasets > 1 else "photos": dict(data)
                     for i in range(datasets)},
        "masks": masks,
        "methods": {m: {} for m in methods},
        "evaluation": {"lpips": True, "fid": False, "bootstrap": 1000,
                       "validation_n": SMALL_SPLIT},
    }


def environment() -> dict:
    """This checkout's code for the jobs' ``python -m inpaint``, one thread."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
    return env


def snakemake(workdir: Path, config: dict, *extra: str) -> subprocess.CompletedProcess:
    path = workdir / "config.yaml"  # the Snakefile's `configfile:` (relative to the workdir)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(path), *extra]
    result = subprocess.run(cmd, capture_output=True, text=True, env=environment())
    if result.returncode:
        raise SystemExit(f"error: {' '.join(cmd)} failed:\n{result.stderr[-3000:]}")
    return result


def copy_pretrained(workdir: Path) -> None:
    source, target = ROOT / "resources" / "pretrained", workdir / "resources" / "pretrained"
    missing = [name for name in PRETRAINED if not (source / name).is_file()]
    if missing:
        raise SystemExit(f"error: {source} lacks {', '.join(missing)}: run "
                         "`python -m inpaint fetch-weights imagenet --out-dir "
                         "resources/pretrained` first")
    target.mkdir(parents=True)
    for name in PRETRAINED:
        shutil.copy2(source / name, target / name)


def children_cpu() -> float:
    """User + system CPU seconds of every finished child process and its descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_n(n_test: int) -> dict:
    """One whole workflow run for ``n_test`` test images: wall seconds, jobs, peak RSS."""
    with tempfile.TemporaryDirectory(prefix=f"scaling{n_test}-") as tmp:
        workdir = Path(tmp)
        copy_pretrained(workdir)
        start, cpu = time.perf_counter(), children_cpu()
        snakemake(workdir, workflow_config(n_test), "--cores", "1")
        wall, cpu = time.perf_counter() - start, children_cpu() - cpu
        jobs = load_benchmarks(workdir / "results" / "benchmarks")
        n_metrics = len(list((workdir / "results" / "metrics").rglob("*.csv")))
    rules = jobs.groupby("rule")
    return {"n_test": n_test, "wall_s": wall, "cpu_s": cpu,
            "timed_jobs": len(jobs),  # jobs with a benchmark file
            "metric_csvs": n_metrics,
            "evaluate_s": float(rules.wall_s.sum().get("evaluate", np.nan)),
            "evaluate_rss_mb": float(rules.max_rss_mb.max().get("evaluate", np.nan)),
            "complete_s": float(rules.wall_s.sum().get("complete", np.nan)),
            "peak_rss_mb": float(jobs.max_rss_mb.max()),
            "peak_rss_rule": str(jobs.loc[jobs.max_rss_mb.idxmax(), "rule"])}


JOBS_RE = re.compile(r"^total\s+(\d+)", re.MULTILINE)


def dag_build(k: int, repeat: int = 2) -> dict:
    """``snakemake -n`` for k datasets x k mask sets x the three methods (best of ``repeat``)."""
    config = workflow_config(64, datasets=k, masksets=k)
    times, jobs = [], 0
    with tempfile.TemporaryDirectory(prefix=f"dag{k}-") as tmp:
        for _ in range(repeat):
            start = time.perf_counter()
            out = snakemake(Path(tmp), config, "-n")
            times.append(time.perf_counter() - start)
        found = JOBS_RE.search(out.stdout)
        jobs = int(found.group(1)) if found else 0
    return {"k": k, "cells": k * k * len(METHODS), "jobs": jobs, "seconds": min(times)}


def fit(x, y) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line; the intercept alone for one point."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(set(x.tolist())) < 2:
        return float("nan"), float(y.mean())
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def report(runs: pd.DataFrame, dags: pd.DataFrame) -> str:
    lines = []
    if len(runs):
        lines += ["Whole workflow (snakemake --cores 1), one photos dataset at 32 px, 4 mask sets, "
                  f"{', '.join(METHODS)}, LPIPS + ST-LPIPS:", "",
                  runs.round(1).to_markdown(index=False), ""]
        per_image, fixed = fit(runs.n_test, runs.wall_s)
        cpu_image, cpu_fixed = fit(runs.n_test, runs.cpu_s)
        ev_image, ev_fixed = fit(runs.n_test, runs.evaluate_s)
        rss_slope, rss_fixed = fit(runs.n_test, runs.evaluate_rss_mb)
        cells = 4 * len(METHODS)
        lines += [
            f"wall time = {fixed:.1f} s + {per_image * 1e3:.1f} ms x n_test "
            f"({per_image / cells * 1e3:.2f} ms per scored completion, {cells} per test image)",
            f"CPU time = {cpu_fixed:.1f} s + {cpu_image * 1e3:.1f} ms x n_test "
            f"({cpu_image / cells * 1e3:.2f} ms per scored completion)",
            f"evaluate job = {ev_fixed:.1f} s + {ev_image * 1e3:.1f} ms x n_test",
            f"evaluate peak RSS = {rss_fixed:.0f} MB + {rss_slope * 1e3:.2f} MB per 1000 test "
            f"images (range {runs.evaluate_rss_mb.min():.0f}-{runs.evaluate_rss_mb.max():.0f} MB)",
            ""]
    if len(dags):
        per_job, start = fit(dags.jobs, dags.seconds)
        lines += ["DAG build (snakemake -n), k datasets x k mask sets x 3 methods:", "",
                  dags.round(2).to_markdown(index=False), "",
                  f"DAG build = {start:.2f} s + {per_job * 1e3:.2f} ms x jobs"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="*", default=[64, 256, 1024],
                        help="test-set sizes to run the workflow with (none: skip)")
    parser.add_argument("--dag", type=int, nargs="*", default=[1, 4, 16],
                        help="k for the k x k x 3 dry runs (none: skip)")
    args = parser.parse_args(argv)
    print(f"Machine: {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
          f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    runs = []
    for n in args.n:
        runs.append(run_n(n))
        print(f"  n_test={n}: {runs[-1]['wall_s']:.1f} s", flush=True)
    dags = [dag_build(k) for k in args.dag]
    print(report(pd.DataFrame(runs), pd.DataFrame(dags)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
