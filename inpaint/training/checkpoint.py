"""Checkpoint files: written atomically, read with ``torch.load(weights_only=True)``.

A checkpoint is a dict of tensors and plain python containers only:

    format      "inpaint-checkpoint/1"
    meta        method, image_size [H, W], channels, config_hash, step, phase, torch, ...
    modules / optimizers / schedulers   state_dicts by name
    extra       the system's extra state
    scaler      GradScaler state ({} without AMP)
    rng         python / numpy / torch / CUDA generator states
    log         the loss-log accumulator of the unfinished log interval
    elapsed     training seconds so far
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from inpaint.errors import InpaintError
from inpaint.io import atomic_path

FORMAT = "inpaint-checkpoint/1"


def save_checkpoint(path: str | os.PathLike, payload: Mapping[str, Any]) -> None:
    """Write ``payload`` to a temporary sibling and rename it onto ``path``."""
    with atomic_path(path) as tmp:
        torch.save(dict(payload), tmp)


def load_checkpoint(path: str | os.PathLike, expected: Mapping[str, Any] | None = None,
                    map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read an inpaint checkpoint safely and check its metadata against ``expected``.

    Raises InpaintError naming the file when it is missing, truncated or corrupt,
    holds anything but tensors and plain containers, or its metadata differs.
    """
    path = Path(path)
    if not path.is_file():
        raise InpaintError(f"checkpoint not found: {path}")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"WeightsUnpickler error: (.*?)(?:\. |\n|$)", str(exc))
        reason = found.group(1) if found else type(exc).__name__
        raise InpaintError(
            f"checkpoint {path} was refused by torch.load(weights_only=True): it is corrupt "
            f"or holds objects other than tensors and plain containers ({reason})"
        ) from None
    except Exception as exc:
        raise InpaintError(
            f"checkpoint {path} is truncated or corrupt ({type(exc).__name__}: {exc}); "
            "delete it to start over"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT \
            or not isinstance(ckpt.get("meta"), dict):
        raise InpaintError(f"{path} is not an inpaint checkpoint (no {FORMAT!r} header)")
    if expected:
        check_meta(path, ckpt["meta"], expected)
    return ckpt


def check_meta(path: str | os.PathLike, meta: Mapping[str, Any],
               expected: Mapping[str, Any]) -> None:
    """Raise InpaintError listing every key where ``meta`` differs from ``expected``."""
    problems = [
        f"{key} is {meta.get(key)!r}, this run has {value!r}"
        for key, value in expected.items() if meta.get(key) != value
    ]
    if problems:
        raise InpaintError(
            f"checkpoint {path} belongs to another run: {'; '.join(problems)}. "
            "Delete the model directory or restore the settings it was trained with."
        )


def load_modules(source: str | os.PathLike, targets: Mapping[str, Any],
                 states: Mapping[str, Any]) -> None:
    """``load_state_dict`` every named target from ``states``; InpaintError on any mismatch."""
    if set(targets) != set(states):
        raise InpaintError(
            f"checkpoint {source} holds {sorted(states)}, expected {sorted(targets)}"
        )
    for name, target in targets.items():
        try:
            target.load_state_dict(states[name])
        except (RuntimeError, ValueError, KeyError, TypeError) as exc:
            raise InpaintError(f"checkpoint {source}: {name!r} does not fit: {exc}") from None


def load_weights(path: str | os.PathLike, modules: Mapping[str, torch.nn.Module],
                 expected: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Load the named networks of a checkpoint (for inference); return its metadata."""
    ckpt = load_checkpoint(path, expected)
    load_modules(path, modules, {n: s for n, s in ckpt["modules"].items() if n in modules})
    return ckpt["meta"]
