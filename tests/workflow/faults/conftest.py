"""Fixtures of the fault-injection tests: a user's photo and mask, trained toy models."""

import numpy as np
import pytest

from inpaint.masks import generate_maskset, write_maskset
from inpaint.methods import get_method

from .helpers import LEARNED, SIZE, make_dataset, save, smooth_images, two_steps


@pytest.fixture
def user_files(tmp_path):
    """A 24 x 24 RGB photo, its mask (one hole) and an output folder."""
    image = smooth_images(1, 3, 24)[0]
    mask = np.full((24, 24), 255, np.uint8)
    mask[8:16, 8:16] = 0
    out = tmp_path / "out"
    out.mkdir()
    return save(image, tmp_path / "photo.png"), save(mask, tmp_path / "mask.png"), out


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """Each learned method trained for 2 steps on a 16 x 16 RGB dataset (1 thread, CPU)."""
    root = tmp_path_factory.mktemp("models")
    data = make_dataset(root / "data")
    write_maskset(root / "masks", generate_maskset(
        [f"test{i}" for i in range(6)], SIZE, "toy", "c", {"kind": "center"}, seed=0))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCH_HOME", str(root / "torch_home"))  # no VGG16 weights for pconv
        for name in LEARNED:
            get_method(name, **two_steps(name)).fit(data, root / name, seed=0, device="cpu",
                                                    threads=1)
    return root
