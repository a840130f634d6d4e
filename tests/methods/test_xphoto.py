"""shiftmap and fsr: OpenCV contrib's cv2.xphoto.inpaint as classical methods."""

import cv2
import numpy as np
import pytest

from inpaint.masks import box_mask, center_mask
from inpaint.methods import complete_batch, get_method, get_method_class, list_methods
from inpaint.methods.base import to_float

XPHOTO = [("shiftmap", {}), ("fsr", {})]


def periodic_images(n=2, size=32, channels=3):
    """A texture of period 8 px: a patch-based method can copy it exactly from elsewhere,
    a frequency-selective one extrapolates it."""
    yy, xx = np.mgrid[0:size, 0:size] * (2 * np.pi / 8)
    out = []
    for i in range(n):
        chans = [0.5 + 0.4 * np.sin(xx + i + c) * np.cos(yy + c) for c in range(channels)]
        out.append(np.stack(chans, axis=-1))
    return np.round(np.array(out) * 255).astype(np.uint8)


def test_registered_as_classical():
    for name in ("shiftmap", "fsr"):
        assert name in list_methods()
        assert not get_method_class(name).learned


@pytest.mark.parametrize(("name", "params"), XPHOTO)
@pytest.mark.parametrize("channels", [1, 3])
def test_keeps_known_pixels_fills_the_hole_and_is_deterministic(name, params, channels):
    images = periodic_images(channels=channels)
    known = np.stack([center_mask(32, 0.5), box_mask(np.random.default_rng(2), 32)])
    corrupted = to_float(images) * known[..., None]  # what complete_batch hands over
    method = get_method(name, **params)
    pred = method.predict(corrupted, known)
    assert pred.shape == images.shape
    assert pred.dtype == np.float32
    assert pred.min() >= 0.0
    assert pred.max() <= 1.0
    assert np.array_equal(pred[known], corrupted[known])  # known pixels kept bit for bit
    again = get_method(name, **params).predict(corrupted, known)
    assert np.array_equal(pred, again)
    out = complete_batch(method, images, known)
    assert out.shape == images.shape
    assert out.dtype == np.uint8
    assert np.array_equal(out[known], images[known])
    # the hole gets the texture back, far better than the known pixels' mean
    hole_err = np.abs(out[~known].astype(float) - images[~known]).mean()
    const_err = np.abs(images[~known].astype(float) - images[known].mean()).mean()
    assert hole_err < 0.6 * const_err, (hole_err, const_err)


def test_fsr_matches_xphoto_with_nonzero_meaning_known():
    images = periodic_images(n=1, channels=1)
    known = center_mask(32, 0.5)
    corrupted = images[0, :, :, 0] * known
    pred = get_method("fsr").predict(to_float(corrupted[None, :, :, None]), known[None])
    ref = np.zeros_like(corrupted)
    cv2.xphoto.inpaint(corrupted, known.astype(np.uint8) * 255, ref, cv2.xphoto.INPAINT_FSR_FAST)
    np.testing.assert_array_equal(np.round(pred[0, :, :, 0] * 255).astype(np.uint8), ref)
    # the opposite convention (non-zero = hole) would leave our hole at its 0 fill
    assert ref[~known].mean() > 50


def test_fsr_best_is_another_algorithm_that_keeps_known_pixels():
    images = to_float(periodic_images(n=1, size=16, channels=1))
    known = center_mask(16, 0.5)[None]
    corrupted = images * known[..., None]
    best = get_method("fsr", quality="best").predict(corrupted, known)
    fast = get_method("fsr").predict(corrupted, known)
    assert np.array_equal(best[known], corrupted[known])
    assert not np.array_equal(best, fast)
    assert np.abs(best - images)[~known].mean() < np.abs(images[~known] - 0.5).mean()


def test_fsr_rejects_an_unknown_quality():
    with pytest.raises(ValueError, match="quality"):
        get_method("fsr", quality="medium")
