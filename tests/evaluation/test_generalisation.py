"""results/tables/generalisation.*: trained-on x tested-on from per-image metrics and the
models' records (inpaint.evaluation.generalisation)."""

import json

import numpy as np
import pandas as pd
import pytest

from inpaint.errors import InpaintError
from inpaint.evaluation.generalisation import (
    MIXTURE,
    generalisation_table,
    write_generalisation_tables,
)
from inpaint.evaluation.metrics_csv import write_metrics
from inpaint.io import write_text

from .cases import metrics_frame

MASKSETS = {"center": {"kind": "center", "scale": 0.5}, "box": {"kind": "box"},
            "pixels": {"kind": "pixels", "p": 0.8}}
FULL = {"center": {"kind": "center", "scale": 0.5},
        "box": {"kind": "box", "min_boxes": 1, "max_boxes": 2, "min_side": 0.25,
                "max_side": 0.5},
        "pixels": {"kind": "pixels", "p": 0.8}}
TRAIN_ON = ["center", "pixels"]


def make_results(root, datasets=("chars",), methods=("glcic_raw", "pconv"), lpips=True):
    """Metrics of every (dataset, tested mask set, run) and the owners' model records:
    the reference runs trained on center + box (not pixels), the others on one set each."""
    rng = np.random.default_rng(0)
    metrics, models = [], []
    for dataset in datasets:
        for method in methods:
            owner = "glcic" if method == "glcic_raw" else method
            for trained_on in [None, *TRAIN_ON]:
                suffix = "" if trained_on is None else f".on-{trained_on}"
                blocks = ([{**FULL["center"], "weight": 0.5}, {**FULL["box"], "weight": 0.5}]
                          if trained_on is None else [{**FULL[trained_on], "weight": 1.0}])
                model = root / "models" / dataset / f"{owner}{suffix}" / "model.json"
                write_text(model, json.dumps({"hparams": {"train_masks": blocks}}))
                models.append(model)
                for tested_on in MASKSETS:
                    frame = metrics_frame(rng, 5, lpips=lpips)
                    path = root / "metrics" / dataset / tested_on / f"{method}{suffix}.csv"
                    write_metrics(path, frame)
                    metrics.append(path)
    return metrics, models


def test_one_row_per_cell_with_the_seen_cells_marked(tmp_path):
    metrics, models = make_results(tmp_path, datasets=("chars", "faces"))
    table = generalisation_table(metrics, models, MASKSETS)
    assert len(table) == 2 * 2 * (len(TRAIN_ON) + 1) * len(MASKSETS)
    assert list(dict.fromkeys(table.trained_on)) == [*TRAIN_ON, MIXTURE]  # reference last
    assert list(dict.fromkeys(table.tested_on)) == list(MASKSETS)
    trained = table[table.trained_on != MIXTURE]
    assert (trained.seen == (trained.trained_on == trained.tested_on)).all()
    mixture = table[table.trained_on == MIXTURE]
    # the reference trained on center and box (box with its defaults filled), not pixels
    assert (mixture.seen == mixture.tested_on.isin(["center", "box"])).all()
    assert set(table.run) >= {"glcic_raw", "glcic_raw.on-center", "pconv.on-pixels"}
    assert set(table.method) == {"glcic_raw", "pconv"}
    assert (table.n == 5).all()
    assert table.loc[table.trained_on == "pixels", "training_masks"].eq("pixels 100%").all()


def test_cells_are_the_means_with_psnr_capped(tmp_path):
    metrics, models = make_results(tmp_path, methods=("pconv",))
    path = tmp_path / "metrics/chars/box/pconv.on-center.csv"
    frame = pd.read_csv(path)
    frame.loc[0, "psnr_hole"] = np.inf
    frame.loc[1, "lpips"] = np.nan
    write_metrics(path, frame)
    table = generalisation_table(metrics, models, MASKSETS)
    cell = table[(table.run == "pconv.on-center") & (table.tested_on == "box")].iloc[0]
    expected = np.minimum(frame.psnr_hole.to_numpy(), 100.0).mean()
    assert cell.psnr_hole_mean == pytest.approx(expected)
    assert cell.lpips_mean == pytest.approx(frame.lpips.iloc[[0, 2, 3, 4]].mean())
    assert not cell.seen


def test_markdown_is_a_matrix_per_dataset_and_method(tmp_path):
    metrics, models = make_results(tmp_path)
    table = write_generalisation_tables(metrics, models, MASKSETS, tmp_path / "tables")
    text = (tmp_path / "tables" / "generalisation.md").read_text()
    assert text.count("## chars: ") == 2
    assert text.count("| trained on \\ tested on | center | box | pixels | mean unseen |") == 4
    section = text.split("## chars: pconv")[1].split("LPIPS")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    assert [r.split(" | ")[0] for r in rows] == [
        "| center", "| pixels", "| mixture (center 50%, box 50%)"]
    assert [r.count("(seen)") for r in rows] == [1, 1, 2]
    center = table[(table.method == "pconv") & (table.trained_on == "center")]
    assert f"| {center.psnr_hole_mean.iloc[0]:.2f} (seen) |" in rows[0]
    unseen = center[~center.seen].psnr_hole_mean.mean()
    assert rows[0].endswith(f"| {unseen:.2f} |")
    html = (tmp_path / "tables" / "generalisation.html").read_text()
    assert "<table>" in html
    assert "(seen)" in html
    csv = pd.read_csv(tmp_path / "tables" / "generalisation.csv")
    assert len(csv) == len(table)
    assert csv.seen.sum() == table.seen.sum()


def test_without_lpips_there_is_no_lpips_matrix(tmp_path):
    metrics, models = make_results(tmp_path, lpips=False)
    write_generalisation_tables(metrics, models, MASKSETS, tmp_path / "tables")
    assert "LPIPS" not in (tmp_path / "tables" / "generalisation.md").read_text().split(
        "Notes:")[0]


def test_a_run_without_its_model_record_is_named_and_nothing_is_written(tmp_path):
    metrics, models = make_results(tmp_path)
    models = [m for m in models if m.parent.name != "glcic.on-pixels"]
    with pytest.raises(InpaintError, match=r"results/models/chars/glcic\.on-pixels/model\.json"):
        write_generalisation_tables(metrics, models, MASKSETS, tmp_path / "tables")
    assert not (tmp_path / "tables").exists()


def test_an_unconfigured_mask_set_and_a_record_without_train_masks_are_named(tmp_path):
    metrics, models = make_results(tmp_path)
    with pytest.raises(InpaintError, match="mask set 'box' is not among"):
        generalisation_table(metrics, models, {"center": MASKSETS["center"],
                                               "pixels": MASKSETS["pixels"]})
    write_text(models[0], json.dumps({"hparams": {}}))
    with pytest.raises(InpaintError, match=r"hparams\.train_masks is missing"):
        generalisation_table(metrics, models, MASKSETS)
