"""Footnotes for the table rows of methods trained with fewer loss terms than their paper.

A learned method's model.json may record ``loss_terms`` (term -> weight it trained with)
and ``paper_loss_terms`` (the paper's), plus ``loss_terms_reason`` (why terms are
missing); pconv and pconv_plainconv write all three. :func:`loss_term_notes` reads the
record of every (dataset, run) shown and returns one note per method and shortfall,
naming the datasets whose rows (every mask set) it applies to. Torch-free.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from inpaint.errors import InpaintError
from inpaint.seeds import run_name, split_run


def model_record_path(results: str | os.PathLike, dataset: str, run: str) -> Path | None:
    """results/models/{dataset}/{owner run}/model.json of a built-in learned run, else None
    (a variant such as glcic_raw completes with its owner's model)."""
    from inpaint.methods.registry import get_method_class

    method, seed = split_run(run)
    try:
        cls = get_method_class(method)
    except InpaintError:  # an external method: no model record of ours
        return None
    if not cls.learned:
        return None
    return Path(results) / "models" / dataset / run_name(cls.model_owner(), seed) / "model.json"


def missing_terms(record: dict) -> list[str]:
    """The paper's loss terms the record's run did not train with ([] when not recorded)."""
    trained, paper = record.get("loss_terms"), record.get("paper_loss_terms")
    if not isinstance(trained, dict) or not isinstance(paper, dict):
        return []
    return [term for term in paper if term not in trained]


def loss_term_notes(runs: Iterable[tuple[str, str]],
                    results: str | os.PathLike | None) -> list[str]:
    """Notes for the (dataset, run) pairs shown whose model.json lacks paper loss terms."""
    if results is None:
        return []
    groups: dict[tuple[str, str], list[str]] = {}  # (method, note body) -> datasets
    for dataset, run in dict.fromkeys(runs):
        path = model_record_path(results, dataset, run)
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
