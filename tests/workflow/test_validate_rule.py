"""Per-image validation scores (results/validation/{dataset}/{method}.csv) and their reader."""

import json

import numpy as np
import pandas as pd
import pytest

from inpaint.cli import main
from inpaint.data.store import DatasetInfo, Split, save_dataset
from inpaint.errors import InpaintError
from inpaint.methods import get_method
from inpaint.validation import read_validation, validation_frame, validation_scores

MASKS = {"center": {"kind": "center", "scale": 0.5}, "box": {"kind": "box"}}


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(0)

    def split(prefix, n):
        images = (rng.random((n, 16, 16, 1)) * 255).astype(np.uint8)
        return Split([f"{prefix}{i}" for i in range(n)], images, ["x"] * n)

    info = DatasetInfo(name="toy", kind="folder", label="toy", size=16, channels=1)
    save_dataset(tmp_path / "toy", info, {"train": split("a", 4), "val": split("v", 6),
                                          "test": split("t", 3)})
    return tmp_path / "toy"


def test_per_image_frame_matches_the_means_and_uses_validation_images(data):
    frame = validation_frame(get_method("telea"), data, MASKS, seed=0, n=4)
    assert list(frame.columns[:3]) == ["maskset", "image_id", "hole_ratio"]
    assert list(frame.maskset) == ["center"] * 4 + ["box"] * 4
    assert set(frame.image_id) == {"v0", "v1", "v2", "v3"}  # first n validation images only
    assert frame[frame.maskset == "center"].hole_ratio.tolist() == pytest.approx([0.25] * 4)
    means = validation_scores(get_method("telea"), data, MASKS, seed=0, n=4).set_index("maskset")
    for maskset, rows in frame.groupby("maskset"):
        assert means.loc[maskset, "psnr_hole"] == pytest.approx(rows.psnr_hole.mean())


def test_cli_writes_the_csv_and_read_validation_keys_it(data, tmp_path):
    out = tmp_path / "results" / "validation" / "toy" / "biharmonic.csv"
    assert main(["validate", "--data", str(data), "--method", "biharmonic", "--masksets",
                 json.dumps(MASKS), "--n", "3", "--out", str(out)]) == 0
    frames = read_validation([out])
    frame = frames["toy"]["biharmonic"]
    assert len(frame) == 6
    assert frame.image_id.tolist()[:3] == ["v0", "v1", "v2"]
    pd.read_csv(out)  # a plain CSV
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InpaintError, match=r"bad\.csv lack"):
        read_validation([bad])
