"""The registry of mask kinds: ``@register_kind`` on a generator, and the seeded stream
every generated mask is drawn from (see :mod:`inpaint.masks`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inpaint.errors import InpaintError
from inpaint.registry import Registry


@dataclass(frozen=True)
class MaskKind:
    """One mask kind: its generator, default parameters and how its block is checked.

    ``draw(rng, size, **params)`` returns one mask (bool, True = known); a kind with
    ``per_set`` instead makes a whole set, ``draw(image_ids, size, dataset, maskset,
    params, seed) -> (masks by id, extra manifest columns by id)``. ``unit`` names the
    parameters that must lie in (0, 1]; every ``min_x``/``max_x`` pair must be ordered.
    ``check(maskset, merged)``, when given, replaces these numeric checks of the block
    merged with the defaults (unknown keys are refused before either).
    """

    name: str
    draw: Callable[..., Any]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    unit: tuple[str, ...] = ()
    check: Callable[[str, dict], None] | None = None
    per_set: bool = False

    def full_params(self, maskset: str, params: dict) -> dict:
        """Defaults merged with the block of mask set ``maskset``, validated."""
        merged = {**self.defaults, **{k: v for k, v in params.items() if k != "kind"}}
        unknown = sorted(set(merged) - set(self.defaults))
        if unknown:
            raise InpaintError(f"masks.{maskset}: unknown key(s) {unknown} for kind {self.name!r}")
        (self.check or self.check_numbers)(maskset, merged)
        return {"kind": self.name, **merged}

    def check_numbers(self, maskset: str, merged: dict) -> None:
        """Every value a number, ``min_x`` <= ``max_x``, the ``unit`` ones in (0, 1]."""
        for key, value in merged.items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise InpaintError(f"masks.{maskset}.{key}: expected a number, got {value!r}")
        for lo in merged:
            hi = "max_" + lo[len("min_"):]
            if lo.startswith("min_") and hi in merged and merged[lo] > merged[hi]:
                raise InpaintError(f"masks.{maskset}: {lo} ({merged[lo]}) > {hi} ({merged[hi]})")
        for key in self.unit:
            if not 0 < merged[key] <= 1:
                raise InpaintError(f"masks.{maskset}.{key}: must be in (0, 1], got {merged[key]}")

    def draw_one(self, rng: np.random.Generator, size: int, params: dict) -> np.ndarray:
        if self.per_set:
            raise InpaintError(f"{self.name} masks are read as a set (generate_maskset), "
                               "not drawn one by one")
        return self.draw(rng, size, **{k: v for k, v in params.items() if k != "kind"})

    def draw_set(self, image_ids: list[str], size: int, dataset: str, maskset: str,
                 full: dict, seed: int) -> tuple[dict[str, np.ndarray], dict[str, dict] | None]:
        """(masks by image id, extra manifest columns by image id or None)."""
        if self.per_set:
            return self.draw(image_ids, size, dataset, maskset, full, seed)
        return {image_id: self.draw_one(mask_rng(seed, dataset, maskset, image_id), size, full)
                for image_id in image_ids}, None


MASK_KINDS: Registry[MaskKind] = Registry("mask kind")


def register_kind(name: str, defaults: Mapping[str, Any] | None = None, *,
                  unit: tuple[str, ...] = (), check: Callable[[str, dict], None] | None = None,
                  per_set: bool = False) -> Callable:
    """``@register_kind("name", {param: default})`` on a kind's generator (see MaskKind)."""

    def decorator(draw: Callable) -> Callable:
        MASK_KINDS.register(name, MaskKind(name, draw, dict(defaults or {}), unit, check,
                                           per_set))
        return draw

    return decorator


def mask_rng(seed: int, dataset: str, maskset: str, image_id: str) -> np.random.Generator:
    """A generator seeded from a stable hash of (seed, dataset, maskset, image id)."""
    key = f"{seed}/{dataset}/{maskset}/{image_id}".encode()
    words = np.frombuffer(hashlib.sha256(key).digest(), dtype=np.uint32)
    return np.random.default_rng(np.random.SeedSequence(words.tolist()))
