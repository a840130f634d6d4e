"""Run names: a learned method trained once per seed of the config's ``seeds``.

With ``seeds: [0, 1, 2]`` in the config, every learned method (and variant)
trains and completes once per seed, as a *run* named ``{method}.seed{n}``
(method names never contain a dot, so the name splits back unambiguously).
Datasets, masks and classical methods stay single (they are seeded by
``seed``). Without ``seeds``, run names are the method names. The tables that
aggregate a method's runs are :mod:`inpaint.evaluation.across_seeds`.

With a ``generalisation`` block, a learned method also trains on one mask set alone,
as a run named ``{method}.on-{maskset}`` (mask-set names are identifiers, so this
splits back too); the generalisation table is :mod:`inpaint.evaluation.generalisation`.
A config does not combine ``seeds`` with ``generalisation`` (inpaint.config), so a run
name carries a seed or a training mask set, never both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from inpaint.errors import InpaintError

SEP = ".seed"
ON = ".on-"


def run_name(method: str, seed: int | None) -> str:
    return method if seed is None else f"{method}{SEP}{seed}"


def generalisation_run(method: str, maskset: str) -> str:
    """The run of ``method`` trained on mask set ``maskset`` alone."""
    return f"{method}{ON}{maskset}"


def split_train_on(name: str) -> tuple[str, str | None]:
    """(run without its training mask set, that mask set); None for other runs."""
    run, sep, maskset = name.partition(ON)
    if not sep:
        return name, None
    if not maskset.isidentifier() or ON in maskset:
        raise InpaintError(f"run name {name!r} is not {{method}}{ON}{{maskset}}")
    return run, maskset


def with_method(name: str, method: str) -> str:
    """The same run (seed, training mask set) of another method, e.g. its model's owner."""
    run, maskset = split_train_on(name)
    other = run_name(method, split_run(run)[1])
    return other if maskset is None else generalisation_run(other, maskset)


def split_run(name: str) -> tuple[str, int | None]:
    """(method, seed) of a run name; seed None for a single-seed run (and for a
    generalisation run, whose training mask set :func:`split_train_on` gives)."""
    run = split_train_on(name)[0]
    method, sep, seed = run.partition(SEP)
    if not sep:
        return run, None
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


def generalisation_runs(methods: Sequence[str], train_on: Sequence[str]) -> list[str]:
    """``{method}.on-{maskset}`` for every method and training mask set, in config order."""
    return [generalisation_run(m, s) for m in methods for s in train_on]
