"""How busy the cores were during a workflow run, from Snakemake's log.

    python benchmarks/run_timeline.py .snakemake/log/<run>.snakemake.log --cores 2

Reads each job's start ("[time]" then "jobid: N") and end ("Finished jobid: N") and
prints the span from the first start to the last end, the core-seconds left idle (cores
minus running jobs, summed over the seconds) and the jobs that ran longer than
``--longer-than`` seconds. Whole seconds (the log's resolution).
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

import numpy as np

_TIME = re.compile(r"\[(\w{3} \w{3}\s+\d+ [\d:]+ \d{4})\]")
_RULE = re.compile(r"(?:local)?rule (\w+):")
_START = re.compile(r"\s+jobid: (\d+)")
_END = re.compile(r"Finished jobid: (\d+)")


def parse(lines) -> list[tuple[str, datetime, datetime | None]]:
    """(rule, start, end or None) per job, in order of start."""
    when, rule = None, None
    start: dict[int, tuple[str, datetime]] = {}
    end: dict[int, datetime] = {}
    for line in lines:
        if m := _TIME.match(line):
            when = datetime.strptime(" ".join(m.group(1).split()), "%a %b %d %H:%M:%S %Y")
        elif m := _RULE.match(line):
            rule = m.group(1)
        elif (m := _START.match(line)) and when is not None:
            start[int(m.group(1))] = (rule, when)
        elif (m := _END.match(line)) and when is not None:
            end[int(m.group(1))] = when
    return sorted(((r, t, end.get(j)) for j, (r, t) in start.items()), key=lambda x: x[1])


def busy(jobs, cores: int) -> tuple[float, int, np.ndarray]:
    """(span in s, idle core-seconds, running jobs per second)."""
    t0 = min(t for _, t, _ in jobs)
    t1 = max([e for _, _, e in jobs if e is not None] + [t0])
    span = (t1 - t0).total_seconds()
    running = np.zeros(int(span))
    for _, a, b in jobs:
        running[int((a - t0).total_seconds()):int(((b or t1) - t0).total_seconds())] += 1
    return span, int(np.clip(cores - running, 0, None).sum()), running


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--longer-than", type=float, default=30.0)
    args = parser.parse_args(argv)
    if not args.log.is_file():
        raise SystemExit(f"no such log: {args.log}")
    jobs = parse(args.log.read_text().splitlines())
    if not jobs:
        raise SystemExit(f"{args.log}: no jobs found (not a Snakemake log?)")
    span, idle, _ = busy(jobs, args.cores)
    print(f"{len(jobs)} jobs over {span:.0f} s; {idle} of {int(span) * args.cores} "
          f"core-seconds idle")
    t0 = jobs[0][1]
    for rule, a, b in jobs:
        if b is not None and (b - a).total_seconds() > args.longer_than:
            since = (a - t0).total_seconds(), (b - t0).total_seconds()
            print(f"  {rule:24s} {since[0]:6.0f} -> {since[1]:6.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
