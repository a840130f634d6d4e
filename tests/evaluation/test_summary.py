"""Summary numbers (inpaint.evaluation.summary): bootstrap, NaN / inf, hole-ratio bins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inpaint.evaluation import summary as aggregation
from inpaint.evaluation import tables
from inpaint.evaluation.metrics_csv import METRIC_COLUMNS

from .cases import metrics_frame


def test_summary_columns_and_mean(frames):
    summary = aggregation.summarize(frames, n_boot=200, seed=0)
    expected = ["dataset", "maskset", "method", "n"]
    expected += [f"{m}_{s}" for m in METRIC_COLUMNS for s in ("mean", "lo", "hi")]
    assert list(summary.columns) == expected
    assert summary[["dataset", "maskset", "method"]].apply(tuple, axis=1).tolist() == list(frames)
    assert summary.n.tolist() == [60, 40, 25]
    for i, frame in enumerate(frames.values()):
        for m in ("psnr", "ssim_hole", "l2"):
            row = summary.iloc[i]
            assert row[f"{m}_mean"] == pytest.approx(frame[m].mean())
            assert row[f"{m}_lo"] < row[f"{m}_mean"] < row[f"{m}_hi"]


def test_bootstrap_is_deterministic_and_seeded(frames):
    a = aggregation.summarize(frames, n_boot=300, seed=1)
    b = aggregation.summarize(frames, n_boot=300, seed=1)
    c = aggregation.summarize(frames, n_boot=300, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.psnr_lo, c.psnr_lo)
    # a row does not depend on the other rows
    key = ("faces", "pixels", "biharmonic")
    alone = aggregation.summarize({key: frames[key]}, n_boot=300, seed=1)
    pd.testing.assert_series_equal(
        alone.iloc[0], a.iloc[2], check_names=False
    )


def test_bootstrap_interval_width_is_about_the_standard_error():
    rng = np.random.default_rng(3)
    values = rng.normal(0.0, 1.0, 400)
    boot = aggregation.bootstrap_means(values, 2000, np.random.default_rng(0))
    lo, hi = np.percentile(boot[:, 0], [2.5, 97.5])
    assert lo < values.mean() < hi
    assert (hi - lo) == pytest.approx(2 * 1.96 / np.sqrt(400), rel=0.15)


def test_nan_metrics_are_left_out_and_all_nan_is_empty(frames):
    frame = frames[("fonts", "center", "telea")].copy()
    frame.loc[:9, "psnr_hole"] = np.nan          # e.g. masks without holes
    summary = aggregation.summarize({("d", "m", "x"): frame}, n_boot=100)
    row = summary.iloc[0]
    assert row.psnr_hole_mean == pytest.approx(frame.psnr_hole.iloc[10:].mean())
    assert row.psnr_hole_lo < row.psnr_hole_mean < row.psnr_hole_hi
    assert np.isnan(row.lpips_mean)
    assert np.isnan(row.lpips_lo)
    assert np.isnan(row.lpips_hi)
    assert row.n == 60


def test_inf_psnr_is_capped(frames):
    frame = frames[("fonts", "center", "telea")].copy()
    frame.loc[0, "psnr"] = np.inf
    frame.loc[1, "psnr_hole"] = np.inf
    summary = aggregation.summarize({("d", "m", "x"): frame}, n_boot=50)
    capped = frame.psnr.clip(upper=aggregation.PSNR_CAP)
    assert summary.psnr_mean[0] == pytest.approx(capped.mean())
    assert np.isfinite(summary.psnr_hi[0])
    assert np.isfinite(summary.psnr_hole_mean[0])
    assert summary.attrs["psnr_capped"] == 2
    md = tables.summary_markdown(summary)
    assert "100 dB" in md
    assert "2 per-image PSNR value(s)" in md


def test_extra_metrics_and_labels(frames):
    rng = np.random.default_rng(4)
    frame = frames[("fonts", "center", "telea")].copy()
    frame["st_lpips"] = rng.random(len(frame))
    summary = aggregation.summarize({("fonts", "c", "t"): frame}, n_boot=50,
                               labels={"fonts": "Fonts (rendered)"})
    assert list(summary.columns[-4:]) == ["st_lpips_mean", "st_lpips_lo", "st_lpips_hi",
                                          "dataset_label"]
    assert summary.dataset_label[0] == "Fonts (rendered)"
    assert "Fonts (rendered) (fonts)" in tables.summary_markdown(summary)
    assert "ST-LPIPS" in tables.summary_markdown(summary)


def test_hole_ratio_bins_edges():
    ratios = [0.0, 0.01, 0.0100001, 0.1, 0.1 + 1e-15, 0.10001, 0.2, 0.3, 1 - 0.7, 0.6, 0.61,
              1.0, np.nan]
    assert aggregation.hole_ratio_bins(ratios).tolist() == [
        "[0,0.01]", "[0,0.01]", "(0.01,0.1]", "(0.01,0.1]", "(0.01,0.1]", "(0.1,0.2]",
        "(0.1,0.2]", "(0.2,0.3]", "(0.2,0.3]", "(0.5,0.6]", "(0.6,1]", "(0.6,1]", "unknown",
    ]


def test_by_hole_ratio():
    rng = np.random.default_rng(5)
    ratios = np.array([0.05, 0.1, 0.15, 0.25, 0.25, 0.7])
    frame = metrics_frame(rng, 6, ratios=ratios)
    frame.loc[5, "psnr_hole"] = np.inf
    table = aggregation.by_hole_ratio({("d", "m", "x"): frame})
    assert table.bin.tolist() == ["(0.01,0.1]", "(0.1,0.2]", "(0.2,0.3]", "(0.6,1]"]
    assert table.n.tolist() == [2, 1, 2, 1]
    assert list(table.columns[:5]) == ["dataset", "maskset", "method", "bin", "n"]
    assert "psnr_hole_mean" in table
    assert "lpips_mean" in table
    assert "ssim_hole_mean" in table
    assert table.psnr_hole_mean.iloc[0] == pytest.approx(frame.psnr_hole[:2].mean())
    assert table.psnr_hole_mean.iloc[3] == aggregation.PSNR_CAP
    assert table.lpips_mean.isna().all()


def test_hole_border_column_is_not_a_table_metric(frames):
    """l1_border (per image, for the claims page) stays out of the summary tables."""
    with_border = {k: f.assign(l1_border=1.0) for k, f in frames.items()}
    a, b = aggregation.summarize(frames, n_boot=50), aggregation.summarize(with_border, n_boot=50)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(aggregation.by_hole_ratio(frames),
                                  aggregation.by_hole_ratio(with_border))
