"""Seeds and random-number-generator state for reproducible, resumable training.

Training randomness comes from two places:
* the batch sampler and the sample-grid seed: pure functions of (seed, step),
  derived with ``derive_seed``, so they need no saved state;
* whatever a system draws inside ``train_step`` (masks, noise, dropout) from
  the global generators of python, numpy and torch (CPU and CUDA): their
  states go into every checkpoint (``capture_rng``) and come back on resume
  (``restore_rng``), so a resumed run draws exactly what an uninterrupted one would.

Every derived stream is named in :class:`Stream`, one table, so no two computations draw
from the same ``derive_seed(seed, stream, ...)`` keys (a test checks the numbers are
distinct). A stream's number fixes its draws: renumbering one changes results.
"""

from __future__ import annotations

import contextlib
import enum
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch


@enum.unique
class Stream(enum.IntEnum):
    """The first ``derive_seed`` key after the run's seed, per random stream."""

    SAMPLER_PERMUTATION = 1  # inpaint.training.sampler: the per-epoch image order
    SAMPLER_FLIP = 2  # inpaint.training.sampler: the per-step horizontal flips
    GLCIC_MASKS = 5  # glcic: the training masks of a step
    GLCIC_SAMPLE_MASKS = 6  # glcic: the masks of the sample grids
    PCONV_MASKS = 7  # pconv: the mask pool (no step key), a step's masks, the sample grids
    CONTEXT_ENCODER_MASKS = 11  # context_encoder: the training masks of a step
    CONTEXT_ENCODER_SAMPLE_MASKS = 12  # context_encoder: the masks of the sample grids
    # inpaint.training.distributed: the seed of rank r > 0 in a data-parallel run (rank 0
    # keeps the run's seed). It was 7 (pconv's masks) until the streams were tabled here;
    # a one-process run never draws it, so moving it changed no single-process result.
    RANK = 13


def derive_seed(*keys: int) -> int:
    """A 63-bit seed that is a pure function of the non-negative integer ``keys``."""
    words = np.random.SeedSequence([int(k) for k in keys]).generate_state(2, dtype=np.uint64)
    return int(words[0]) & (2**63 - 1)


def seed_everything(seed: int, cuda: bool = False) -> None:
    """Seed python's, numpy's and torch's global generators (CUDA ones only if ``cuda``)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (the global state systems may use)
    torch.default_generator.manual_seed(seed)
    if cuda:
        torch.cuda.manual_seed_all(seed)


def capture_rng(cuda: bool = False) -> dict[str, Any]:
    """Global generator states as tensors and plain containers (weights_only-loadable)."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)  # noqa: NPY002
    return {
        "python": [version, list(internal), gauss],
        "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
        "cuda": list(torch.cuda.get_rng_state_all()) if cuda else [],
    }


def restore_rng(state: dict[str, Any], cuda: bool = False) -> None:
    """Restore what ``capture_rng`` returned; CUDA states only on a CUDA run."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state(  # noqa: NPY002
        (kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached)
    )
    torch.set_rng_state(state["torch"])
    if cuda and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


@contextlib.contextmanager
def isolated_rng(seed: int, cuda: bool = False) -> Iterator[None]:
    """Run a block with all global generators seeded to ``seed``, then put them back.

    Sample grids use it: every grid draws the same noise and masks, and drawing
    them never shifts the training stream.
    """
    saved = capture_rng(cuda)
    seed_everything(seed, cuda)
    try:
        yield
    finally:
        restore_rng(saved, cuda)
