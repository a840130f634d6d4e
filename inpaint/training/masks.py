"""Random training masks for learned methods, from the same generators as the
evaluation mask sets (inpaint.masks), drawn from a generator the caller seeds
(e.g. ``np.random.default_rng(derive_seed(seed, step))``) so resume is exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from inpaint.masks import check_params, make_mask
from inpaint.masks.mixture import (  # noqa: F401  (the training-mask mixture, torch-free)
    DEFAULT_MIXTURE,
    check_mixture,
    describe_mixture,
    draw_mixture,
    mixture_masks,
)


def training_masks(rng: np.random.Generator, n: int, size: int,
                   kinds: Sequence[str] = ("center", "box", "irregular"),
                   params: Mapping[str, Mapping] | None = None) -> np.ndarray:
    """``n`` masks (bool, True = known), each of a kind drawn uniformly from ``kinds``.

    ``params`` maps a kind to overrides of its defaults (inpaint.masks.DEFAULTS),
    e.g. ``{"box": {"min_side": 0.375, "max_side": 0.5}}``.
    """
    if not kinds:
        raise ValueError("training_masks needs at least one mask kind")
    full = {k: check_params(f"training.{k}", {"kind": k, **(params or {}).get(k, {})})
            for k in kinds}
    choice = rng.integers(0, len(kinds), size=n)
    return np.stack([make_mask(kinds[c], full[kinds[c]], rng, size) for c in choice])


def to_tensor(known: np.ndarray, device=None):
    """bool (N, H, W) -> float tensor (N, 1, H, W), 1 = known."""
    import torch

    return torch.from_numpy(known[:, None].astype(np.float32)).to(device)
