"""SSIM (inpaint.evaluation.ssim): the filter and the map against scipy and skimage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage.metrics import structural_similarity

from inpaint.evaluation import ssim

from .cases import SSIM_KW, pair


@pytest.mark.parametrize("use_matmul", [True, False])
def test_filter_paths_match_scipy(use_matmul):
    rng = np.random.default_rng(1)
    stack = rng.random((2, 3, 19, 33))
    expected = ndi.gaussian_filter(stack, [0, 0, 1.5, 1.5], mode="reflect", truncate=3.5)
    got = ssim.filter_hw(stack.copy(), use_matmul=use_matmul)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13)


def test_ssim_map_matches_skimage_full():
    rng = np.random.default_rng(2)
    real, comp = pair(rng, (2, 24, 24, 3))
    x = np.moveaxis(real / 255.0, -1, 1)
    y = np.moveaxis(comp / 255.0, -1, 1)
    smap = np.moveaxis(ssim.ssim_from_stack(np.stack([x, y, x * x + y * y, x * y])), 1, -1)
    for i in range(2):
        _, expected = structural_similarity(real[i] / 255.0, comp[i] / 255.0, full=True, **SSIM_KW)
        np.testing.assert_allclose(smap[i], expected, rtol=0, atol=1e-12)
