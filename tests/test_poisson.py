import numpy as np
import pytest

from inpaint.masks import box_mask, center_mask, pixels_mask
from inpaint.poisson import poisson_blend, poisson_blend_batch


def dense_solution(y, g, known):
    """Least squares over all 4-neighbour pairs touching a hole pixel, known pixels fixed."""
    h, w, _ = y.shape
    hole = np.argwhere(~known)
    col = {tuple(p): k for k, p in enumerate(hole)}
    rows_a, rows_b = [], []
    for r in range(h):
        for s in range(w):
            for dr, ds in ((0, 1), (1, 0)):
                r2, s2 = r + dr, s + ds
                if r2 >= h or s2 >= w or (known[r, s] and known[r2, s2]):
                    continue
                a = np.zeros(len(hole))
                b = g[r, s] - g[r2, s2]
                if (r, s) in col:
                    a[col[(r, s)]] += 1
                else:
                    b = b - y[r, s]
                if (r2, s2) in col:
                    a[col[(r2, s2)]] -= 1
                else:
                    b = b + y[r2, s2]
                rows_a.append(a)
                rows_b.append(b)
    x, *_ = np.linalg.lstsq(np.array(rows_a), np.array(rows_b), rcond=None)
    out = y.copy()
    out[~known] = x
    return out


@pytest.mark.parametrize("make_mask", [
    lambda: center_mask(10, 0.5),
    lambda: box_mask(np.random.default_rng(3), 10, 1, 2, 0.2, 0.6),
    lambda: pixels_mask(np.random.default_rng(4), 10, 0.6),
])
def test_matches_dense_least_squares_and_keeps_known_pixels(make_mask):
    rng = np.random.default_rng(0)
    y, g = rng.random((10, 10, 3)), rng.random((10, 10, 3))
    known = make_mask()
    out = poisson_blend(y, g, known)
    assert np.array_equal(out[known], y[known])
    np.testing.assert_allclose(out, dense_solution(y, g, known), atol=1e-9)


def test_guide_offset_by_a_constant_is_reproduced_exactly():
    rng = np.random.default_rng(1)
    y = rng.random((16, 16, 1))
    known = center_mask(16, 0.5)
    out = poisson_blend(y, y + 0.3, known)  # same gradients as y: the hole is recovered
    np.testing.assert_allclose(out, y, atol=1e-10)


def test_degenerate_masks_and_batch():
    rng = np.random.default_rng(2)
    y, g = rng.random((2, 8, 8, 3)), rng.random((2, 8, 8, 3))
    known = np.stack([np.ones((8, 8), bool), np.zeros((8, 8), bool)])
    out = poisson_blend_batch(y, g, known, clip=False)
    np.testing.assert_allclose(out[0], y[0], atol=1e-7)
    np.testing.assert_allclose(out[1], g[1], atol=1e-7)
    assert out.dtype == np.float32
