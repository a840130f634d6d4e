"""Footnotes for the table rows of methods trained with fewer loss terms than their paper,
and the model records (results/models/{dataset}/{run}/model.json) the notes read.

A learned method's model.json may record ``loss_terms`` (term -> weight it trained with)
and ``paper_loss_terms`` (the paper's), plus ``loss_terms_reason`` (why terms are
missing); pconv and pconv_plainconv write all three. :func:`loss_term_notes` reads the
record of every (dataset, run) shown and returns one note per method and shortfall,
naming the datasets whose rows (every mask set) it applies to. Torch-free.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from inpaint.errors import InpaintError
from inpaint.runs import run_name, split_run

Records = Mapping[tuple[str, str], Path]  # (dataset, run) -> its model.json


def model_records(paths: Iterable[str | os.PathLike]) -> dict[tuple[str, str], Path]:
    """(dataset, run) -> path, from results/models/{dataset}/{run}/model.json paths."""
    out = {}
    for path in map(Path, paths):
        if path.name != "model.json" or len(path.parts) < 3:
            raise InpaintError(f"model record {path} is not .../{{dataset}}/{{run}}/model.json")
        out[(path.parent.parent.name, path.parent.name)] = path
    return out


def model_owner_run(run: str) -> str | None:
    """The run whose model.json a built-in learned run completes with (a variant such as
    glcic_raw uses its owner's model), else None (classical or external)."""
    from inpaint.methods.registry import get_method_class

    method, seed = split_run(run)
    try:
        cls = get_method_class(method)
    except InpaintError:  # an external method: no model record of ours
        return None
    if not cls.learned:
        return None
    return run_name(cls.model_owner(), seed)


def missing_terms(record: dict) -> list[str]:
    """The paper's loss terms the record's run did not train with ([] when not recorded)."""
    trained, paper = record.get("loss_terms"), record.get("paper_loss_terms")
    if not isinstance(trained, dict) or not isinstance(paper, dict):
        return []
    return [term for term in paper if term not in trained]


def loss_term_notes(runs: Iterable[tuple[str, str]], records: Records | None) -> list[str]:
    """Notes for the (dataset, run) pairs shown whose model.json lacks paper loss terms.

    ``records``: (dataset, run) -> model.json (:func:`model_records`); a run without
    a record gets no note."""
    groups: dict[tuple[str, str], list[str]] = {}  # (method, note body) -> datasets
    for dataset, run in dict.fromkeys(runs):
        owner = model_owner_run(run)
        path = None if owner is None else (records or {}).get((dataset, owner))
        if path is None or not path.is_file():
            continue
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        missing = missing_terms(record)
        if not missing:
            continue
        trained = list(record["loss_terms"])
        reason = record.get("loss_terms_reason")
        body = (f"trained with {len(trained)} of its paper's {len(record['paper_loss_terms'])} "
                f"loss terms ({', '.join(trained)}), without {', '.join(missing)}"
                + (f" ({reason})" if reason else "") + "; see its model.json.")
        datasets = groups.setdefault((split_run(run)[0], body), [])
        if dataset not in datasets:
            datasets.append(dataset)
    return [f"{method} on {', '.join(datasets)} (every mask set): {body}"
            for (method, body), datasets in groups.items()]
