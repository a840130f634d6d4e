"""Fixtures of the evaluation tests."""

from __future__ import annotations

import numpy as np
import pytest

from .cases import metrics_frame


@pytest.fixture
def frames():
    """Per-image metrics of three (dataset, mask set, method) keys."""
    rng = np.random.default_rng(0)
    return {
        ("fonts", "center", "telea"): metrics_frame(rng, 60),
        ("fonts", "center", "my_method"): metrics_frame(rng, 40, lpips=True),
        ("faces", "pixels", "biharmonic"): metrics_frame(rng, 25),
    }
