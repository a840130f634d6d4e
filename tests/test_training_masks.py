import numpy as np
import pytest

from inpaint.training.masks import to_tensor, training_masks


def test_mixture_is_seeded_and_has_every_kind():
    a = training_masks(np.random.default_rng(0), 60, 32)
    b = training_masks(np.random.default_rng(0), 60, 32)
    assert a.dtype == bool
    assert a.shape == (60, 32, 32)
    assert np.array_equal(a, b)
    ratios = 1 - a.mean(axis=(1, 2))
    assert (ratios == 0.25).any()  # center masks
    assert len(np.unique(ratios)) > 10  # boxes and strokes vary


def test_kind_overrides_and_tensor():
    known = training_masks(np.random.default_rng(1), 8, 16, kinds=("pixels",),
                           params={"pixels": {"p": 0.5}})
    assert 0.35 < 1 - known.mean() < 0.65
    t = to_tensor(known)
    assert tuple(t.shape) == (8, 1, 16, 16)
    assert float(t.sum()) == known.sum()


def test_bad_kind_is_an_error():
    from inpaint.errors import InpaintError

    with pytest.raises(InpaintError, match="blob"):
        training_masks(np.random.default_rng(0), 2, 16, kinds=("blob",))
