import cv2
import numpy as np
import pytest
from skimage.restoration import inpaint_biharmonic

from inpaint.masks import center_mask, pixels_mask
from inpaint.methods import (
    InpaintMethod,
    complete_batch,
    get_method,
    list_methods,
    register_method,
)
from inpaint.methods.base import to_float

CLASSICAL = ["biharmonic", "telea", "navier_stokes"]


def smooth_images(n=3, size=24, channels=3):
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = []
    for i in range(n):
        chans = [np.sin(2 * xx + i + c) * 0.4 + 0.5 + 0.1 * yy for c in range(channels)]
        out.append(np.stack(chans, axis=-1))
    return np.round(np.array(out) * 255).astype(np.uint8)


def test_registry_lists_classical_methods():
    assert set(CLASSICAL) <= set(list_methods())


def test_registry_rejects_duplicates():
    with pytest.raises(ValueError, match="already registered"):

        @register_method("telea")
        class Again(InpaintMethod):
            def predict(self, images, known):
                return images


def test_unknown_method_and_parameter():
    from inpaint.errors import InpaintError

    with pytest.raises(InpaintError, match="unknown method 'nope'"):
        get_method("nope")
    with pytest.raises(TypeError, match="radiuss"):
        get_method("telea", radiuss=3)


@pytest.mark.parametrize("name", CLASSICAL)
@pytest.mark.parametrize("channels", [1, 3])
def test_known_pixels_untouched_and_hole_plausible(name, channels):
    images = smooth_images(channels=channels)
    known = np.stack([center_mask(24, 0.5)] * 3)
    out = complete_batch(get_method(name), images, known)
    assert out.shape == images.shape
    assert out.dtype == np.uint8
    assert np.array_equal(out[known], images[known])
    # smooth images: any of these methods gets the hole far better than a constant fill
    hole_err = np.abs(out[~known].astype(float) - images[~known]).mean()
    const_err = np.abs(images[~known].astype(float) - images[known].mean()).mean()
    assert hole_err < 0.5 * const_err


def test_biharmonic_equals_skimage():
    images = smooth_images(n=1)
    known = pixels_mask(np.random.default_rng(1), 24, p=0.5)[None]
    out = get_method("biharmonic").predict(to_float(images), known)
    ref = inpaint_biharmonic(to_float(images)[0].astype(np.float64), ~known[0], channel_axis=-1,
                             split_into_regions=True)
    np.testing.assert_allclose(out[0], np.clip(ref, 0, 1), atol=1e-6)


@pytest.mark.parametrize(("name", "flag"), [("telea", cv2.INPAINT_TELEA),
                                            ("navier_stokes", cv2.INPAINT_NS)])
def test_opencv_methods_equal_opencv(name, flag):
    images = smooth_images(n=1)
    known = center_mask(24, 0.5)
    out = complete_batch(get_method(name, radius=5), images, known[None])[0]
    ref = cv2.inpaint(images[0], (~known).astype(np.uint8) * 255, 5, flag)
    assert np.array_equal(out, ref)


@pytest.mark.parametrize("name", CLASSICAL)
def test_no_hole_and_all_hole_are_defined(name):
    images = smooth_images(n=2)
    known = np.stack([np.ones((24, 24), bool), np.zeros((24, 24), bool)])
    out = complete_batch(get_method(name), images, known)
    assert np.array_equal(out[0], images[0])
    assert np.all(out[1] == 128)  # all hole: mid-grey, documented
