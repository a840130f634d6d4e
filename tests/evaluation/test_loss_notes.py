"""Notes for runs trained with fewer loss terms than their paper (evaluation.loss_notes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inpaint.errors import InpaintError
from inpaint.evaluation.loss_notes import loss_term_notes, model_owner_run, model_records
from inpaint.evaluation.metrics_csv import CSV_COLUMNS, METRIC_COLUMNS
from inpaint.evaluation.report import make_tables
from inpaint.methods.pconv import PAPER_LOSS

THREE = {"valid": 1.0, "hole": 6.0, "tv": 0.1}


def _record(root, dataset, run, terms, reason=None):
    path = root / "models" / dataset / run / "model.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(
        {"loss_terms": terms, "paper_loss_terms": PAPER_LOSS, "loss_terms_reason": reason}))
    return path


def test_loss_term_footnotes_from_model_json(tmp_path):
    why = "perceptual and style losses off: no weights"
    paths = [_record(tmp_path, "chars", "pconv", THREE, why),
             _record(tmp_path, "faces", "pconv", THREE, why),
             _record(tmp_path, "faces", "pconv_plainconv", dict(PAPER_LOSS))]
    runs = [(d, m) for d in ("chars", "faces") for m in ("pconv", "pconv_plainconv", "telea")]
    notes = loss_term_notes([*runs, ("faces", "external_thing")], model_records(paths))
    assert notes == ["pconv on chars, faces (every mask set): trained with 3 of its paper's 6 "
                     "loss terms (valid, hole, tv), without perc, style_out, style_comp "
                     "(perceptual and style losses off: no weights); see its model.json."]
    assert loss_term_notes(runs, None) == []
    assert loss_term_notes(runs, model_records(paths[2:])) == []  # only the full-loss record


def test_model_records_and_owners():
    path = "r/models/faces/glcic.seed1/model.json"
    assert model_records([path]) == {("faces", "glcic.seed1"): Path(path)}
    with pytest.raises(InpaintError, match=r"model\.json"):
        model_records(["r/models/faces/glcic/weights.pt"])
    assert model_owner_run("glcic_raw.seed2") == "glcic.seed2"  # a variant uses its owner's model
    assert model_owner_run("telea") is None
    assert model_owner_run("my_external_method") is None


def test_summary_table_footnotes_a_run_trained_without_vgg_terms(tmp_path):
    """make_tables reads the model.json files it is given: a pconv model trained with 3 of
    the paper's terms footnotes its rows in summary.md; the full loss does not."""
    rng = np.random.default_rng(0)
    results = tmp_path / "results"
    paths = []
    for method in ("pconv", "pconv_plainconv", "telea"):
        frame = {"image_id": [f"im{i}" for i in range(10)], "hole_ratio": rng.uniform(0.1, 0.6, 10)}
        frame.update({m: rng.normal(20.0, 2.0, 10) for m in METRIC_COLUMNS})
        path = results / "metrics" / "toy" / "irregular" / f"{method}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(frame, columns=list(CSV_COLUMNS)).assign(lpips=np.nan).to_csv(path,
                                                                                   index=False)
        paths.append(path)
    models = [_record(results, "toy", "pconv", THREE, "perceptual and style losses off: test"),
              _record(results, "toy", "pconv_plainconv", dict(PAPER_LOSS))]
    make_tables(paths, results / "tables", n_boot=10)  # no records given: no note
    assert "pconv on toy" not in (results / "tables" / "summary.md").read_text()
    make_tables(paths, results / "tables", n_boot=10, model_paths=models)
    summary = (results / "tables" / "summary.md").read_text()
    assert ("pconv on toy (every mask set): trained with 3 of its paper's 6 loss terms"
            in summary)
    assert "pconv_plainconv on toy" not in summary
