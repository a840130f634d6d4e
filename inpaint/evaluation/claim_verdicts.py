"""The verdict of a claim from its paired tests (claims.md, :mod:`inpaint.evaluation.claims`).

A :class:`PairedTest` is a two-sided Wilcoxon signed-rank test on per-image
differences; a :class:`Check` (a claim on one dataset) PASSES when all its tests
go the claimed way with p_holm < ALPHA, FAILS when one goes significantly the
other way, is NOT SIGNIFICANT otherwise and NOT RUN without tests; a
:class:`Claim` sums up its checks. :func:`adjust` Holm-adjusts a family of tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from inpaint.evaluation.stats import ALPHA, holm, wilcoxon_p

NOT_RUN, PASS, FAIL, NOT_SIG = "NOT RUN", "PASS", "FAIL", "NOT SIGNIFICANT"


def _fmt_p(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{value:.2g}"


@dataclass
class PairedTest:
    """One paired comparison: the claim expects ``sign * mean_diff > 0``."""

    label: str
    diff: np.ndarray
    sign: int
    p: float = float("nan")
    p_holm: float = float("nan")

    def __post_init__(self) -> None:
        self.diff = np.asarray(self.diff, dtype=np.float64)
        self.diff = self.diff[np.isfinite(self.diff)]
        self.p = wilcoxon_p(self.diff)
        self.p_holm = self.p

    @property
    def mean_diff(self) -> float:
        return float(self.diff.mean()) if len(self.diff) else float("nan")

    @property
    def outcome(self) -> str:
        if not (np.isfinite(self.p_holm) and self.p_holm < ALPHA):
            return NOT_SIG
        return PASS if self.sign * self.mean_diff > 0 else FAIL

    def text(self) -> str:
        way = "as claimed" if self.sign * self.mean_diff > 0 else "against the claim"
        out = (f"{self.label}: mean diff {self.mean_diff:+.4g} ({way}), n = {len(self.diff)}, "
               f"p = {_fmt_p(self.p)}, p_holm = {_fmt_p(self.p_holm)}")
        return out + (" (not significant)" if self.outcome == NOT_SIG else "")


@dataclass
class Check:
    """A claim on one dataset: descriptive text and the tests that decide it."""

    dataset: str
    text: str
    tests: list[PairedTest] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        outcomes = {t.outcome for t in self.tests}
        if not outcomes:
            return NOT_RUN
        if FAIL in outcomes:
            return FAIL
        return PASS if outcomes == {PASS} else NOT_SIG

    def render(self) -> str:
        return "; ".join([self.text, *(t.text() for t in self.tests)])


@dataclass
class Claim:
    title: str
    source: str
    checks: list[Check] = field(default_factory=list)

    def add(self, dataset: str, text: str, tests: Sequence[PairedTest] = ()) -> None:
        """A check decided by ``tests``; none means NOT RUN (``text`` says what is missing)."""
        self.checks.append(Check(dataset, text, list(tests)))

    @property
    def results(self) -> list[tuple[str, str, str]]:
        """(dataset, verdict, text) per check."""
        return [(c.dataset, c.verdict, c.render()) for c in self.checks]

    @property
    def verdict(self) -> str:
        verdicts = {c.verdict for c in self.checks}
        if not verdicts or verdicts == {NOT_RUN}:
            return NOT_RUN
        for v in (FAIL, NOT_SIG):
            if v in verdicts:
                return v
        return PASS


def adjust(claims: Sequence[Claim]) -> list[Claim]:
    """Holm-adjust the p-values of every test of ``claims`` as one family (in place)."""
    tests = [t for c in claims for check in c.checks for t in check.tests]
    for test, p_holm in zip(tests, holm([t.p for t in tests]), strict=True):
        test.p_holm = float(p_holm)
    return list(claims)


def adjust_alone(claim: Claim) -> Claim:
    """A claim adjusted within itself (check_claims re-adjusts over the whole page)."""
    return adjust([claim])[0]
