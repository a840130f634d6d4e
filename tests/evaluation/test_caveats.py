"""Caveats under the tables and claims: glcic's dead dilations and post-processing, DCGAN faces."""

from __future__ import annotations

import json

from inpaint.data.store import DatasetInfo
from inpaint.evaluation.caveats import caveat_notes, glcic_dead_dilations, notes_markdown
from inpaint.methods.glcic import postprocess_record

FACES = DatasetInfo(name="faces", kind="faces", label="synthetic faces", size=32, channels=3)
CHARS = DatasetInfo(name="chars", kind="fonts", label="font characters", size=32, channels=1)


def test_dead_dilations_are_those_at_least_the_bottleneck_side():
    assert glcic_dead_dilations(32, 2, (2, 4, 8, 16)) == [8, 16]
    assert glcic_dead_dilations(64, 2, (2, 4, 8, 16)) == [16]
    assert glcic_dead_dilations(256, 2, (2, 4, 8, 16)) == []
    assert glcic_dead_dilations(32, 1, (2, 4, 8, 16)) == [16]


def test_default_run_notes_without_model_records():
    runs = [(d, m) for d in ("faces", "chars")
            for m in ("telea", "glcic", "glcic_raw", "yeh_dcgan")]
    notes = caveat_notes(runs, {"faces": FACES, "chars": CHARS})
    text = "\n".join(notes)
    dilation = [n for n in notes if "8x8 feature map" in n]
    assert len(dilation) == 1
    assert "rates 8 and 16 reach only" in dilation[0]
    assert not dilation[0].startswith(("faces:", "chars:"))  # applies to both datasets
    assert "no hole pixel keeps it" in text
    assert "0.375 px" in text
    faces = [n for n in notes if "DCGAN" in n]
    assert len(faces) == 1
    assert faces[0].startswith("synthetic faces (faces)")
    # nothing to say about rows that are not shown
    assert caveat_notes([("chars", "telea"), ("faces", "telea")], {"faces": FACES}) == []
    assert notes_markdown([]) == ""
    assert notes_markdown(["a"]) == "\n## Caveats\n\n- a\n"


def test_notes_follow_the_trained_models_record(tmp_path):
    model = tmp_path / "models" / "faces" / "glcic.seed1"
    model.mkdir(parents=True)
    hp = {"downsamples": 2, "dilations": [2, 4, 8, 16]}
    (model / "model.json").write_text(json.dumps({
        "hparams": hp, "image_size": [128, 128], "postprocess": postprocess_record(128, 3.0)}))
    notes = caveat_notes([("faces", "glcic_raw.seed1"), ("chars", "glcic")],
                         {"faces": FACES, "chars": CHARS},
                         {("faces", "glcic.seed1"): model / "model.json"})
    faces = [n for n in notes if n.startswith("faces:")]
    assert any("glcic at 128 px" in n and "1.5 px" in n and "within 1 px" in n for n in faces)
    assert not any("feature map" in n for n in faces)  # 32x32 map: every rate reaches
    # chars has no record: the defaults at its size
    assert any(n.startswith("chars:") and "8x8" in n for n in notes)
    assert not any("DCGAN" in n for n in notes)  # no yeh_dcgan row


def test_tables_and_claims_carry_the_caveats(tmp_path):
    import numpy as np
    import pandas as pd

    from inpaint.data.store import Split, save_dataset
    from inpaint.evaluation.metrics_csv import CSV_COLUMNS, METRIC_COLUMNS
    from inpaint.evaluation.report import make_tables

    rng = np.random.default_rng(0)
    results = tmp_path / "results"
    data_dirs, paths = [], []
    for info in (FACES, CHARS):
        images = rng.integers(0, 256, (3, 32, 32, info.channels), dtype=np.uint8)
        splits = {name: Split([f"{name}{i}" for i in range(3)], images, ["synthetic"] * 3)
                  for name in ("train", "val", "test")}
        save_dataset(results / "data" / info.name, info, splits)
        data_dirs.append(results / "data" / info.name)
        for method in ("telea", "biharmonic", "glcic", "yeh_dcgan"):  # no raw pair: no border claim
            frame = {"image_id": [f"im{i}" for i in range(20)],
                     "hole_ratio": rng.uniform(0.1, 0.6, 20)}
            frame.update({m: rng.normal(20.0, 2.0, 20) for m in METRIC_COLUMNS})
            path = results / "metrics" / info.name / "center" / f"{method}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(frame, columns=list(CSV_COLUMNS)).assign(lpips=np.nan).to_csv(
                path, index=False)
            paths.append(path)
    make_tables(paths, results / "tables", data_dirs=data_dirs, n_boot=20)
    summary = (results / "tables" / "summary.md").read_text()
    claims = (results / "tables" / "claims.md").read_text()
    for page in (summary, claims):
        assert "rates 8 and 16 reach only zero padding" in page
        assert "no hole pixel keeps it" in page
        assert "synthetic faces (faces): the images are samples of a DCGAN" in page
    assert "## Caveats" in claims
