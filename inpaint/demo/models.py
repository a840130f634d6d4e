"""Trained models under --models, found and loaded once per process.

A model folder is any folder holding a ``model.json`` (results/models/{dataset}/{method}/,
or the folder given itself). Every learned method whose model is that one (the
method, and variants such as glcic_raw that complete with its model) is loaded
from it. A folder that does not load is kept as a message for the page.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from inpaint.methods import InpaintMethod, get_method, get_method_class, list_methods

MODEL_JSON = "model.json"


@dataclass
class TrainedModel:
    """One loaded model folder: the methods completing with it and the images it takes."""

    label: str  # e.g. "faces/glcic"
    size: tuple[int, int]  # (height, width) it was trained at
    channels: int
    methods: dict[str, InpaintMethod]


@dataclass
class Catalog:
    models: list[TrainedModel] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one message per folder that failed


def model_folders(root: Path) -> list[Path]:
    """Folders with a model.json: ``root`` itself, its children and grandchildren."""
    found = [p.parent for pattern in (MODEL_JSON, f"*/{MODEL_JSON}", f"*/*/{MODEL_JSON}")
             for p in sorted(root.glob(pattern))]
    return found


def methods_of(owner: str) -> list[str]:
    """The learned methods that complete with a model trained by method ``owner``."""
    return [name for name in list_methods()
            if get_method_class(name).learned and get_method_class(name).model_owner() == owner]


def load_folder(folder: Path, label: str, device: str) -> TrainedModel:
    """Load every method of one model folder; any failure raises (caught by the caller)."""
    record = json.loads((folder / MODEL_JSON).read_text())
    owner = record.get("method")
    names = methods_of(owner) if isinstance(owner, str) else []
    if not names:
        raise ValueError(f"model.json names method {owner!r}, not a learned method of "
                         f"this project")
    height, width = (int(v) for v in record["image_size"])
    channels = int(record["channels"])
    hparams = record.get("hparams") or {}
    methods = {}
    for name in names:
        cls = get_method_class(name)
        # the architecture the model was trained with (the method's own; a variant such as
        # glcic_raw takes it from the model it shares at load time)
        arch = {k: hparams[k] for k in cls.architecture_keys if k in hparams} \
            if name == owner else {}
        method = get_method(name, **arch)
        method.load(folder, device=device)
        methods[name] = method
    return TrainedModel(label, (height, width), channels, methods)


def load_catalog(root: str | os.PathLike | None, device: str = "cpu") -> Catalog:
    catalog = Catalog()
    if root is None:
        return catalog
    root = Path(root)
    if not root.is_dir():
        catalog.failures.append(f"--models {root}: no such folder (no trained models loaded)")
        return catalog
    for folder in model_folders(root):
        label = folder.relative_to(root).as_posix() if folder != root else folder.name
        try:
            catalog.models.append(load_folder(folder, label, device))
        except Exception as exc:  # a folder that does not load is a message, not a crash
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            catalog.failures.append(f"model {label} does not load: {reason}")
    return catalog
