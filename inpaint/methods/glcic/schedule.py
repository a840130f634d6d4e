"""glcic's training schedule and local-discriminator windows (torch-free): the paper's three
phases (completion network, discriminators, joint) and where the local patch sits."""

from __future__ import annotations

import numpy as np

PAPER_PHASE_RATIOS = (0.18, 0.02)  # T_C = 90k and T_D = 10k of 500k iterations


def phase_lengths(steps: int, completion_steps: int | None = None,
                  discriminator_steps: int | None = None) -> tuple[int, int]:
    """(T_C, T_D): the given lengths, or the paper's ratios of ``steps`` where None."""
    tc = round(PAPER_PHASE_RATIOS[0] * steps) if completion_steps is None else completion_steps
    td = round(PAPER_PHASE_RATIOS[1] * steps) if discriminator_steps is None \
        else discriminator_steps
    return int(tc), int(td)


def phase_at(step: int, completion_steps: int, discriminator_steps: int) -> str:
    """The phase of 1-based ``step``: completion (1..T_C), discriminator (..T_C+T_D), joint."""
    if step <= completion_steps:
        return "completion"
    if step <= completion_steps + discriminator_steps:
        return "discriminator"
    return "joint"


def patch_origins(known: np.ndarray, patch: int) -> np.ndarray:
    """Top-left corners (N, 2) of the local discriminator's ``patch`` x ``patch`` windows.

    Each window is centred on the centre of the bounding box of the image's hole
    (all its hole pixels, whatever their shape or count: with several boxes the
    window covers their common centre) and shifted to lie inside the image. No
    hole: the image centre.
    """
    n, h, w = known.shape
    if patch > min(h, w):
        raise ValueError(f"patch {patch} is larger than the image ({h} x {w})")
    out = np.empty((n, 2), dtype=np.int64)
    for i, keep in enumerate(known):
        rows, cols = np.nonzero(~keep)
        if len(rows):
            cy, cx = (rows.min() + rows.max() + 1) / 2, (cols.min() + cols.max() + 1) / 2
        else:
            cy, cx = h / 2, w / 2
        out[i] = (min(max(int(np.floor(cy - patch / 2)), 0), h - patch),
                  min(max(int(np.floor(cx - patch / 2)), 0), w - patch))
    return out
