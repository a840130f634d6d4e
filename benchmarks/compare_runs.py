"""Compare two workflow runs' results/ folders file by file: which outputs are
byte-identical, which differ, which only one run has.

    python benchmarks/compare_runs.py RUN_A/results RUN_B/results

A change that should not change results (a refactor, a speed-up) leaves every common
file byte-identical; a new method or claim adds files and changes only the pages that
list every method or claim. Prints one line per results/ subfolder and the first
differing files; exit status 1 when a common file differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SUBFOLDERS = ("data", "masks", "completions", "metrics", "validation", "figures", "tables",
              "benchmark")


def files(root: Path, sub: str) -> dict[Path, Path]:
    folder = root / sub
    if not folder.is_dir():
        return {}
    return {p.relative_to(root): p for p in folder.rglob("*")
            if p.is_file() and p.name != ".snakemake_timestamp"}


def compare(a: Path, b: Path, subfolders=SUBFOLDERS) -> dict[str, dict[str, list[str]]]:
    """Per subfolder: 'same', 'differ', 'only_a', 'only_b' relative paths (sorted)."""
    out = {}
    for sub in subfolders:
        fa, fb = files(a, sub), files(b, sub)
        common = sorted(set(fa) & set(fb))
        differ = [k for k in common if fa[k].read_bytes() != fb[k].read_bytes()]
        out[sub] = {"same": [str(k) for k in common if k not in set(differ)],
                    "differ": [str(k) for k in differ],
                    "only_a": sorted(str(k) for k in set(fa) - set(fb)),
                    "only_b": sorted(str(k) for k in set(fb) - set(fa))}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="the first run's results/ folder")
    parser.add_argument("b", type=Path, help="the second run's results/ folder")
    parser.add_argument("--show", type=int, default=10, help="differing files listed per folder")
    args = parser.parse_args(argv)
    for root in (args.a, args.b):
        if not root.is_dir():
            raise SystemExit(f"not a folder: {root}")
    result = compare(args.a, args.b)
    any_differ = False
    for sub, groups in result.items():
        n_common = len(groups["same"]) + len(groups["differ"])
        print(f"{sub}: {len(groups['same'])}/{n_common} common files identical, "
              f"{len(groups['differ'])} differ, {len(groups['only_a'])} only in a, "
              f"{len(groups['only_b'])} only in b")
        for path in groups["differ"][:args.show]:
            print(f"    differs: {path}")
        any_differ |= bool(groups["differ"])
    return 1 if any_differ else 0


if __name__ == "__main__":
    sys.exit(main())
