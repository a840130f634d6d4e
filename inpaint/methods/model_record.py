"""The record of a finished training run (model.json) and the architecture it fixes.

Every learned method builds its networks at load time from the hyper-parameters
recorded in model.json, never from the current config: a config whose
architecture keys differ from the trained model's is an error naming the key and
both values (retrain, or restore the value). Other hyper-parameters (steps,
learning rates, losses) may differ: they do not change what is loaded.
Torch-free (imported by the methods' load functions).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from inpaint.errors import InpaintError
from inpaint.io import read_json

MODEL_JSON = "model.json"  # = inpaint.training.MODEL_JSON (a test checks it)


def _same(a: Any, b: Any) -> bool:
    """Equal as recorded in JSON (tuples are lists there)."""
    return (list(a) if isinstance(a, tuple) else a) == (list(b) if isinstance(b, tuple) else b)


def read_model_record(model_dir: str | os.PathLike, owner: str) -> dict[str, Any]:
    """model.json of ``model_dir``; InpaintError when missing or of another method."""
    path = Path(model_dir) / MODEL_JSON
    if not path.is_file():
        raise InpaintError(f"{model_dir} has no {MODEL_JSON}: train {owner} there first "
                           "(or its training did not finish)")
    record = read_json(path, "model record")
    if record.get("method") != owner:
        raise InpaintError(f"{path} holds a model of method {record.get('method')!r}, "
                           f"not {owner!r}")
    if not isinstance(record.get("hparams"), dict):
        raise InpaintError(f"{path}: no hparams recorded")
    return record


def trained_architecture(model_dir: str | os.PathLike, method: Any,
                         keys: Iterable[str]) -> dict[str, Any]:
    """The model record of ``model_dir`` for ``method`` (an InpaintMethod), after checking
    that every architecture key in ``keys`` has the same value in its config
    (``method.params``) as in the trained model. A variant that completes with another
    method's model (``shares_model_with``: glcic_raw, yeh_dcgan_raw) takes the
    architecture from that model; its own config block does not set it."""
    owner = method.model_owner()
    record = read_model_record(model_dir, owner)
    hp = record["hparams"]
    path = Path(model_dir) / MODEL_JSON
    for key in keys:
        if key not in hp:
            raise InpaintError(f"{path}: hparams lack the architecture key {key!r}; retrain "
                               f"{owner}")
        if method.name == owner and key in method.params \
                and not _same(hp[key], method.params[key]):
            raise InpaintError(
                f"methods.{method.name}.{key} is {method.params[key]!r} but the model in "
                f"{model_dir} was trained with {key}={hp[key]!r}: retrain {owner} (delete "
                f"{model_dir}) or set {key} back to {hp[key]!r}"
            )
    return record
