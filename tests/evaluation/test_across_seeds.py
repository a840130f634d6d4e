"""Multi-seed run names (inpaint.runs) and their aggregation (inpaint.evaluation.across_seeds)."""

import numpy as np
import pandas as pd
import pytest

from inpaint.errors import InpaintError
from inpaint.evaluation.across_seeds import collapse_seeds, first_seed_runs, seed_table
from inpaint.runs import run_name, runs, split_run


def test_run_names_split_back():
    assert run_name("pconv", None) == "pconv"
    assert split_run(run_name("pconv_plainconv", 12)) == ("pconv_plainconv", 12)
    assert split_run("telea") == ("telea", None)
    with pytest.raises(InpaintError, match=r"pconv\.seedx"):
        split_run("pconv.seedx")


def test_runs_multiply_learned_methods_only():
    methods = ["telea", "pconv", "glcic_raw"]
    assert runs(methods, {"pconv", "glcic_raw"}, None) == methods
    assert runs(methods, {"pconv", "glcic_raw"}, [3, 5]) == [
        "telea", "pconv.seed3", "pconv.seed5", "glcic_raw.seed3", "glcic_raw.seed5"]


def frame(ids, psnr):
    return pd.DataFrame({"image_id": ids, "hole_ratio": 0.25, "psnr": psnr,
                         "note": "x"})


def test_collapse_averages_seed_runs_image_by_image():
    frames = {
        ("d", "m", "telea"): frame(["a", "b"], [10.0, 20.0]),
        ("d", "m", "pconv.seed0"): frame(["a", "b"], [11.0, 21.0]),
        ("d", "m", "pconv.seed1"): frame(["b", "a"], [25.0, 13.0]),  # other row order
    }
    out = collapse_seeds(frames)
    assert list(out) == [("d", "m", "telea"), ("d", "m", "pconv")]
    pconv = out[("d", "m", "pconv")]
    assert pconv.image_id.tolist() == ["a", "b"]
    np.testing.assert_allclose(pconv.psnr, [12.0, 23.0])
    assert out[("d", "m", "telea")] is frames[("d", "m", "telea")]
    assert first_seed_runs(frames) == {"telea": "telea", "pconv": "pconv.seed0"}
    frames[("d", "m", "pconv.seed1")] = frame(["a", "c"], [1.0, 2.0])
    with pytest.raises(InpaintError, match="different images"):
        collapse_seeds(frames)


def test_seed_table_is_mean_and_std_of_run_means():
    summary = pd.DataFrame({
        "dataset": "d", "maskset": "m",
        "method": ["telea", "pconv.seed0", "pconv.seed1", "pconv.seed2"],
        "psnr_mean": [10.0, 20.0, 22.0, 27.0],
    })
    table = seed_table(summary, ["psnr"])
    assert table.method.tolist() == ["pconv"]
    row = table.iloc[0]
    assert row.seeds == 3
    assert row.psnr_mean == pytest.approx(23.0)
    assert row.psnr_std == pytest.approx(np.std([20, 22, 27], ddof=1))
    assert seed_table(summary.iloc[:1], ["psnr"]).empty
