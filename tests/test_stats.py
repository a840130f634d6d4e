import numpy as np
import pandas as pd
import pytest
from scipy.stats import wilcoxon

from inpaint.stats import paired_comparisons, paired_markdown, wilcoxon_p


def frame(values, metric="psnr_hole"):
    return pd.DataFrame({"image_id": [f"i{k}" for k in range(len(values))], metric: values})


def test_compares_against_the_best_classical_baseline():
    rng = np.random.default_rng(0)
    base = rng.normal(20, 2, 30)
    frames = {
        ("d", "m", "telea"): frame(base),
        ("d", "m", "biharmonic"): frame(base + 1.0),  # the best classical
        ("d", "m", "mine"): frame(base + 1.5 + rng.normal(0, 0.1, 30)),
    }
    paired = paired_comparisons(frames, metrics=("psnr_hole",))
    mine = paired[paired.method == "mine"].iloc[0]
    assert mine.baseline == "biharmonic"
    assert mine.n == 30
    assert mine.mean_diff == pytest.approx(0.5, abs=0.05)
    assert mine.improved == 1.0
    diff = frames[("d", "m", "mine")].psnr_hole - frames[("d", "m", "biharmonic")].psnr_hole
    assert mine.p_value == pytest.approx(wilcoxon(diff).pvalue)
    assert set(paired.method) == {"telea", "mine"}  # the baseline is not compared with itself
    assert "| d | m | mine | psnr_hole | biharmonic | 30 |" in paired_markdown(paired)


def test_lower_is_better_metrics_and_pairing_by_image_id():
    frames = {
        ("d", "m", "telea"): frame([0.3, 0.4, 0.5], "st_lpips"),
        ("d", "m", "mine"): frame([0.2, 0.5, 0.1], "st_lpips").iloc[::-1],  # other order
    }
    row = paired_comparisons(frames, metrics=("st_lpips",)).iloc[0]
    assert row.mean_diff == pytest.approx((-0.1 + 0.1 - 0.4) / 3)
    assert row.improved == pytest.approx(2 / 3)


def test_identical_methods_give_no_p_value():
    assert np.isnan(wilcoxon_p(np.zeros(5)))
