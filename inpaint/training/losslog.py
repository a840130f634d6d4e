"""The training log: a CSV of losses, one row per log interval, safe across resume.

Columns: step, phase, one per loss (the mean over the interval's steps; empty
when the loss was not computed in it, e.g. in another GLCIC phase), seconds
(training wall time so far), images_per_s (throughput over the interval) and
peak_gpu_mb (peak GPU memory so far; empty on the CPU). Rows are appended and
flushed as they come; on resume the rows after the checkpoint's step are dropped and the unfinished
interval's sums come back from the checkpoint, so the log of a resumed run
equals that of an uninterrupted one (up to the timing columns).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from inpaint.errors import InpaintError
from inpaint.io import atomic_path

TIMING_COLUMNS = ("seconds", "images_per_s", "peak_gpu_mb")


class LossLog:
    def __init__(self, path: str | os.PathLike, loss_names: Sequence[str],
                 resume_step: int = 0) -> None:
        self.path = Path(path)
        self.loss_names = tuple(loss_names)
        self.columns = ["step", "phase", *self.loss_names, *TIMING_COLUMNS]
        self.last_row: dict[str, Any] = {}
        kept = self._read_until(resume_step) if resume_step > 0 else []
        with atomic_path(self.path) as tmp, open(tmp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(self.columns)
            writer.writerows(kept)
        self._file = open(self.path, "a", newline="")  # noqa: SIM115 (closed in close())
        self._writer = csv.writer(self._file)
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}

    def _read_until(self, step: int) -> list[list[str]]:
        if not self.path.is_file():
            return []
        text = self.path.read_text()
        if text and not text.endswith("\n"):
            # a row cut short by a kill (or power loss) mid-write: it was after the
            # checkpoint (rows are flushed before each checkpoint), so drop it
            text = text[:text.rfind("\n") + 1]
        rows = list(csv.reader(text.splitlines()))
        if not rows or rows[0] != self.columns:
            raise InpaintError(
                f"training log {self.path} has columns {rows[0] if rows else []}, "
                f"expected {self.columns}: it belongs to another run"
            )
        try:
            kept = [row for row in rows[1:] if row and int(row[0]) <= step]
            if kept:
                self.last_row = self._parse(kept[-1])
        except ValueError as exc:
            raise InpaintError(f"training log {self.path} is corrupt ({exc}); delete the "
                               "model directory to start over") from None
        return kept

    def _parse(self, row: Sequence[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"step": int(row[0]), "phase": row[1]}
        for name, value in zip(self.columns[2:], row[2:], strict=True):
            if value != "":
                out[name] = float(value)
        return out

    def add(self, losses: Mapping[str, float]) -> None:
        """Accumulate one step's losses."""
        for name, value in losses.items():
            if name not in self.loss_names:
                raise ValueError(f"loss {name!r} is not in loss_names {self.loss_names}")
            self._sums[name] = self._sums.get(name, 0.0) + float(value)
            self._counts[name] = self._counts.get(name, 0) + 1

    def write(self, step: int, phase: str, seconds: float, images_per_s: float | None = None,
              peak_gpu_mb: float | None = None) -> dict[str, Any]:
        """Append the interval's means as one row, flush, and start a new interval."""
        means = {name: self._sums[name] / self._counts[name] for name in self._sums}
        timing = [f"{seconds:.3f}",
                  "" if images_per_s is None else f"{images_per_s:.1f}",
                  "" if peak_gpu_mb is None else f"{peak_gpu_mb:.1f}"]
        self._writer.writerow(
            [step, phase, *(repr(means[n]) if n in means else "" for n in self.loss_names),
             *timing]
        )
        self._file.flush()
        self._sums, self._counts = {}, {}
        self.last_row = {"step": step, "phase": phase, **means, "seconds": seconds}
        if images_per_s is not None:
            self.last_row["images_per_s"] = images_per_s
        if peak_gpu_mb is not None:
            self.last_row["peak_gpu_mb"] = peak_gpu_mb
        return self.last_row

    def pending(self) -> dict[str, Any]:
        """The unfinished interval's sums, for the checkpoint."""
        return {"sums": dict(self._sums), "counts": dict(self._counts)}

    def load_pending(self, state: Mapping[str, Any]) -> None:
        self._sums, self._counts = dict(state["sums"]), dict(state["counts"])

    def close(self) -> None:
        self._file.close()


def first_non_finite(losses: Mapping[str, float]) -> tuple[str, float] | None:
    """The first (name, value) that is NaN or infinite, else None."""
    for name, value in losses.items():
        if not math.isfinite(value):
            return name, value
    return None
