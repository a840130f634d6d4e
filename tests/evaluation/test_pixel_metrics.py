"""Pixel metrics (inpaint.evaluation.pixel_metrics): by hand, NaN/inf, chunks, border."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inpaint.errors import InpaintError
from inpaint.evaluation import pixel_metrics, scoring

from .cases import pair


def test_hole_metrics_by_hand():
    real = np.zeros((1, 12, 12, 1), np.uint8)
    comp = real.copy()
    known = np.ones((1, 12, 12), bool)
    known[0, 5:7, 5:7] = False                  # 4 hole pixels
    comp[0, 5, 5:7, 0] = 51                     # two of them off by 0.2
    frame = scoring.score_images(real, comp, known)
    row = frame.iloc[0]
    assert row.l1_hole == pytest.approx(100 * 0.4 / 4)       # 10 %
    assert row.l2_hole == pytest.approx(100 * 0.08 / 4)      # 2 %
    assert row.psnr_hole == pytest.approx(10 * math.log10(1 / 0.02))
    assert row.l1 == pytest.approx(100 * 0.4 / 144)
    assert row.l2 == pytest.approx(100 * 0.08 / 144)
    assert row.psnr == pytest.approx(10 * math.log10(144 / 0.08))
    assert pixel_metrics.hole_ratio(known)[0] == 4 / 144


def test_no_hole_gives_nan_and_identical_gives_inf():
    rng = np.random.default_rng(3)
    real, comp = pair(rng, (2, 16, 16, 3))
    comp[1] = real[1]
    known = np.ones((2, 16, 16), bool)
    known[1, :4, :4] = False
    frame = scoring.score_images(real, comp, known)
    for col in ("psnr_hole", "ssim_hole", "l1_hole", "l2_hole"):
        assert np.isnan(frame[col][0])
    assert np.isfinite(frame.psnr[0])
    assert frame.psnr[1] == np.inf          # skimage's behaviour for MSE 0
    assert frame.psnr_hole[1] == np.inf
    assert frame.ssim[1] == pytest.approx(1.0)
    assert frame.ssim_hole[1] == pytest.approx(1.0)
    assert frame.l1_hole[1] == 0.0


def test_chunking_does_not_change_results():
    rng = np.random.default_rng(4)
    real, comp = pair(rng, (7, 16, 16, 3))
    known = rng.random((7, 16, 16)) > 0.5
    whole = scoring.score_images(real, comp, known, batch_size=7)
    pieces = scoring.score_images(real, comp, known, batch_size=2)
    pd.testing.assert_frame_equal(whole, pieces)


def test_input_validation():
    real = np.zeros((1, 10, 16, 3), np.uint8)
    with pytest.raises(InpaintError, match="at least 11x11"):
        scoring.score_images(real, real, np.ones((1, 10, 16), bool))
    real = np.zeros((1, 16, 16, 3), np.uint8)
    with pytest.raises(TypeError, match="bool"):
        scoring.score_images(real, real, np.ones((1, 16, 16), np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        scoring.score_images(real.astype(float), real, np.ones((1, 16, 16), bool))
    with pytest.raises(ValueError, match="shape"):
        scoring.score_images(real, real[:, :, :8], np.ones((1, 16, 16), bool))


def test_border_band():
    known = np.ones((7, 7), bool)
    known[2:5, 2:5] = False
    band = pixel_metrics.border_band(known, width=1)
    assert band.sum() == 8  # the hole's ring, not its centre
    assert not band[3, 3]


def test_border_l1_by_hand():
    real = np.full((2, 12, 12, 3), 100, np.uint8)
    done = real.copy()
    known = np.ones((2, 12, 12), bool)
    known[0, 2:10, 2:10] = False            # 8x8 hole: its 2-px ring is the border band
    done[0, 2:10, 2:10] = 110               # centre 4x4 off by 10 more: outside the band
    done[0, 4:8, 4:8] = 120
    got = pixel_metrics.border_l1(real, done, known)
    assert got[0] == pytest.approx(100 * 10 / 255)
    assert np.isnan(got[1])                 # no hole, no border
