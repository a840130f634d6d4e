import numpy as np
import pandas as pd
import pytest
from scipy.stats import wilcoxon

from inpaint.evaluation.stats import (
    holm,
    method_kind,
    of_kind,
    paired_comparisons,
    paired_markdown,
    wilcoxon_p,
)
from inpaint.methods import registry
from inpaint.methods.classical import Telea


def frame(values, metric="psnr_hole"):
    return pd.DataFrame({"image_id": [f"i{k}" for k in range(len(values))], metric: values})


def val(maskset, values, metric="psnr_hole"):
    return frame(values, metric).assign(maskset=maskset, hole_ratio=0.4)


def test_holm_on_a_hand_checked_example():
    # sorted: 0.005 x4 = 0.02; 0.01 x3 = 0.03; 0.03 x2 = 0.06; 0.04 x1 = 0.04 -> max so far 0.06
    p = [0.01, 0.04, 0.03, 0.005, np.nan]
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02, np.nan])  # NaN not counted
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])  # capped at 1
    np.testing.assert_allclose(holm([0.02]), [0.02])
    assert holm([]).shape == (0,)


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
    assert mine.chosen_on == "test psnr_hole"  # no validation scores given: said so
    assert mine.n == 30
    assert mine.mean_diff == pytest.approx(0.5, abs=0.05)
    assert mine.improved == 1.0
    diff = frames[("d", "m", "mine")].psnr_hole - frames[("d", "m", "biharmonic")].psnr_hole
    assert mine.p_value == pytest.approx(wilcoxon(diff).pvalue)
    assert set(paired.method) == {"telea", "mine"}  # the baseline is not compared with itself
    np.testing.assert_allclose(paired.p_holm, holm(paired.p_value))
    assert "| d | m | mine | psnr_hole | biharmonic (test psnr_hole) | 30 |" in paired_markdown(
        paired)
    assert "p (Holm)" in paired_markdown(paired)


def test_holm_column_covers_every_test_of_the_table():
    rng = np.random.default_rng(1)
    frames = {}
    for maskset in ["a", "b", "c"]:
        base = rng.normal(20, 2, 20)
        frames[("d", maskset, "telea")] = frame(base)
        frames[("d", maskset, "mine")] = frame(base + rng.normal(0.3, 1.0, 20))
    paired = paired_comparisons(frames, metrics=("psnr_hole",))
    assert len(paired) == 3
    p = paired.p_value.to_numpy()
    np.testing.assert_allclose(paired.p_holm, holm(p))
    assert paired.p_holm.min() == pytest.approx(3 * p.min())  # smallest p times the family size


def test_baseline_is_chosen_on_validation_not_test():
    rng = np.random.default_rng(2)
    base = rng.normal(20, 2, 20)
    frames = {("d", "m", "telea"): frame(base + 1.0),  # best on test
              ("d", "m", "biharmonic"): frame(base),
              ("d", "m", "mine"): frame(base + 2.0)}
    validation = {"d": {"telea": val("m", [10.0, 11.0]), "biharmonic": val("m", [15.0, 16.0])}}
    paired = paired_comparisons(frames, metrics=("psnr_hole",), validation=validation)
    mine = paired[paired.method == "mine"].iloc[0]
    assert mine.baseline == "biharmonic"  # validation's pick, not test's (telea)
    assert mine.chosen_on == "validation psnr_hole"
    assert mine.mean_diff == pytest.approx(2.0)
    # a metric validation lacks (ST-LPIPS) is chosen by validation hole PSNR
    for key, f in frames.items():
        frames[key] = f.assign(st_lpips=0.5 if key[2] == "biharmonic" else 0.1)
    paired = paired_comparisons(frames, metrics=("st_lpips",), validation=validation)
    assert set(paired.baseline) == {"biharmonic"}
    assert set(paired.chosen_on) == {"validation psnr_hole"}


def test_classical_set_comes_from_the_registry(monkeypatch):
    class NewFill(Telea):
        """A classical method registered after the stats module was written."""

    monkeypatch.setitem(registry._METHODS, "new_fill", NewFill)
    assert method_kind("new_fill") == "classical"
    assert method_kind("pconv") == "learned"
    assert method_kind("pconv.seed1") == "learned"
    assert method_kind("example_mean_fill") is None  # external: neither kind
    assert of_kind(["telea", "pconv", "new_fill", "example_mean_fill"], "classical") == [
        "telea", "new_fill"]
    rng = np.random.default_rng(3)
    base = rng.normal(20, 2, 20)
    frames = {("d", "m", "telea"): frame(base),
              ("d", "m", "new_fill"): frame(base + 1.0),  # the new classical method is best
              ("d", "m", "example_mean_fill"): frame(base + 5.0),  # external: never a baseline
              ("d", "m", "pconv"): frame(base + 3.0)}  # learned: never a baseline
    paired = paired_comparisons(frames, metrics=("psnr_hole",))
    assert set(paired.baseline) == {"new_fill"}
    assert set(paired.method) == {"telea", "example_mean_fill", "pconv"}


def test_lower_is_better_metrics_and_pairing_by_image_id():
    frames = {
        ("d", "m", "telea"): frame([0.3, 0.4, 0.5], "st_lpips"),
        ("d", "m", "pconv"): frame([0.2, 0.5, 0.1], "st_lpips").iloc[::-1],  # other order
    }
    row = paired_comparisons(frames, metrics=("st_lpips",)).iloc[0]
    assert row.mean_diff == pytest.approx((-0.1 + 0.1 - 0.4) / 3)
    assert row.improved == pytest.approx(2 / 3)


def test_identical_methods_give_no_p_value():
    assert np.isnan(wilcoxon_p(np.zeros(5)))
