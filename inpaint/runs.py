"""Run names: a learned method trained once per seed of the config's ``seeds``.

With ``seeds: [0, 1, 2]`` in the config, every learned method (and variant)
trains and completes once per seed, as a *run* named ``{method}.seed{n}``
(method names never contain a dot, so the name splits back unambiguously).
Datasets, masks and classical methods stay single (they are seeded by
``seed``). Without ``seeds``, run names are the method names. The tables that
aggregate a method's runs are :mod:`inpaint.evaluation.across_seeds`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from inpaint.errors import InpaintError

SEP = ".seed"


def run_name(method: str, seed: int | None) -> str:
    return method if seed is None else f"{method}{SEP}{seed}"


def split_run(name: str) -> tuple[str, int | None]:
    """(method, seed) of a run name; seed None for a single-seed run."""
    method, sep, seed = name.partition(SEP)
    if not sep:
        return name, None
    if not seed.isdigit() or "." in method:
        raise InpaintError(f"run name {name!r} is not {{method}}{SEP}{{integer}}")
    return method, int(seed)


def runs(methods: Sequence[str], learned: Iterable[str], seeds: Sequence[int] | None) -> list[str]:
    """Run names in config order: a learned method once per seed, the others once."""
    learned = set(learned)
    out = []
    for method in methods:
        if seeds and method in learned:
            out.extend(run_name(method, s) for s in seeds)
        else:
            out.append(method)
    return out
