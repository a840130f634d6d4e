"""Training-mask mixtures of the learned methods (``train_masks``), torch-free.

A mixture is a list of mask blocks ``{kind, weight, <the kind's parameters>}`` built from
the evaluation's mask generators (inpaint.masks): the same kinds and parameters, drawn
from a training seed stream the caller seeds (derive_seed(seed, stream, step)), never
from the evaluation masks' (seed, dataset, maskset, image id) streams.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from inpaint.errors import InpaintError
from inpaint.masks import check_params, make_mask

# The embedded default's training masks: every evaluation mask kind of config.yaml,
# equally weighted, each with the evaluation's default parameters (inpaint.masks.MASK_KINDS),
# so no learned method is scored on a kind it never saw in training.
DEFAULT_MIXTURE: tuple[dict, ...] = ({"kind": "center"}, {"kind": "box"},
                                     {"kind": "irregular"}, {"kind": "pixels"})


def check_mixture(where: str, blocks) -> list[dict]:
    """Validate a training-mask mixture (a method's ``train_masks``) and return it in full.

    ``blocks``: a non-empty list of mask blocks ``{kind: ..., weight: w, <parameters of the
    kind>}`` as the evaluation's mask sets (inpaint.masks.check_params: unknown keys are
    errors); ``weight`` (default 1) is the block's relative frequency. Returned: every
    block with all its parameters and its weight normalised to sum 1 (for model.json).
    """
    if isinstance(blocks, str | bytes | Mapping) or not isinstance(blocks, Sequence) \
            or not blocks:
        raise InpaintError(f"{where}: give a non-empty list of mask blocks "
                           f"{{kind: ..., weight: ..., <the kind's parameters>}}, got {blocks!r}")
    out = []
    for i, block in enumerate(blocks):
        name = f"{where}[{i}]"
        if not isinstance(block, Mapping):
            raise InpaintError(f"{name}: expected a mapping {{kind: ..., weight: ...}}, "
                               f"got {block!r}")
        block = dict(block)
        weight = block.pop("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) \
                or not 0 < weight < float("inf"):
            raise InpaintError(f"{name}.weight: expected a positive number, got {weight!r}")
        try:
            full = check_params(name, block)
        except InpaintError as exc:
            raise InpaintError(str(exc).replace(f"masks.{name}", name, 1)) from None
        out.append({**full, "weight": float(weight)})
    total = sum(b["weight"] for b in out)
    return [{**b, "weight": b["weight"] / total} for b in out]


def draw_mixture(rng: np.random.Generator, n: int, size: int,
                 mixture: Sequence[Mapping]) -> tuple[np.ndarray, np.ndarray]:
    """``n`` masks (bool, True = known) of a checked mixture (``check_mixture``), each
    block drawn with its weight, and the index of the block of each mask."""
    weights = np.array([float(b["weight"]) for b in mixture])
    choice = rng.choice(len(mixture), size=n, p=weights / weights.sum())
    masks = [make_mask(mixture[c]["kind"], {k: v for k, v in mixture[c].items()
                                            if k != "weight"}, rng, size) for c in choice]
    return np.stack(masks), choice


def mixture_masks(rng: np.random.Generator, n: int, size: int,
                  mixture: Sequence[Mapping]) -> np.ndarray:
    """``n`` training masks of a checked mixture, from the generator the caller seeds
    (a training seed stream, never the evaluation masks' (seed, dataset, maskset, id))."""
    return draw_mixture(rng, n, size, mixture)[0]


def describe_mixture(mixture: Sequence[Mapping]) -> str:
    """'center 25%, box 25%, ...' (kinds and shares) for logs, README and tables."""
    return ", ".join(f"{b['kind']} {100 * float(b['weight']):.0f}%" for b in mixture)
