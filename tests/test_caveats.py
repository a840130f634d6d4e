"""Caveats under the tables and claims: glcic's dead dilations and post-processing, DCGAN faces."""

from __future__ import annotations

import json

from inpaint.caveats import caveat_notes, glcic_dead_dilations, notes_markdown
from inpaint.data.store import DatasetInfo
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
                         {"faces": FACES, "chars": CHARS}, tmp_path)
    faces = [n for n in notes if n.startswith("faces:")]
    assert any("glcic at 128 px" in n and "1.5 px" in n and "within 1 px" in n for n in faces)
    assert not any("feature map" in n for n in faces)  # 32x32 map: every rate reaches
    # chars has no record: the defaults at its size
    assert any(n.startswith("chars:") and "8x8" in n for n in notes)
    assert not any("DCGAN" in n for n in notes)  # no yeh_dcgan row
