"""Where a workflow run's time went: Snakemake's benchmark files summarised per rule.

Every rule that does real work declares ``benchmark:`` (results/benchmarks/{rule}/...tsv:
wall seconds, CPU seconds, peak RSS of the job). This prints one markdown table, a row
per rule (jobs, wall and CPU seconds summed and for the longest job, peak memory) and,
with ``--jobs``, the training jobs one by one.

    .venv/bin/python benchmarks/rule_times.py [results/benchmarks] [--jobs]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd


def load(root: Path) -> pd.DataFrame:
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        frame = pd.read_csv(path, sep="\t")
        rel = path.relative_to(root).with_suffix("")
        rows.append({"rule": rel.parts[0], "job": "/".join(rel.parts[1:]),
                     "wall_s": float(frame["s"].iloc[0]),
                     "cpu_s": float(frame["cpu_time"].iloc[0]),
                     "max_rss_mb": float(frame["max_rss"].iloc[0])})
    if not rows:
        raise SystemExit(f"error: no Snakemake benchmark files under {root}")
    return pd.DataFrame(rows)


def per_rule(jobs: pd.DataFrame) -> pd.DataFrame:
    grouped = jobs.groupby("rule", sort=False)
    table = pd.DataFrame({
        "jobs": grouped.size(),
        "wall_s": grouped.wall_s.sum(),
        "cpu_s": grouped.cpu_s.sum(),
        "longest_job": grouped.apply(lambda g: g.loc[g.wall_s.idxmax(), "job"],
                                     include_groups=False),
        "longest_s": grouped.wall_s.max(),
        "peak_rss_mb": grouped.max_rss_mb.max(),
    }).sort_values("cpu_s", ascending=False)
    table.loc["all"] = [len(jobs), jobs.wall_s.sum(), jobs.cpu_s.sum(), "",
                        jobs.wall_s.max(), jobs.max_rss_mb.max()]
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="results/benchmarks", type=Path)
    parser.add_argument("--jobs", action="store_true", help="also list the training jobs")
    args = parser.parse_args(argv)
    jobs = load(args.root)
    print(per_rule(jobs).round(1).to_markdown())
    if args.jobs:
        train = jobs[jobs.rule == "train"].sort_values("cpu_s", ascending=False)
        print()
        print(train.drop(columns="rule").round(1).to_markdown(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
