"""Fixtures of the method tests (the smooth images and tiny datasets are tests/conftest.py's)."""

from pathlib import Path

import pytest

SIZE = 16  # the method tests' image size


@pytest.fixture
def make_dataset(smooth_images, tiny_dataset):
    """``make(root, kind, channels)``: a prepared dataset of smooth SIZE-px images under
    ``root / "data"`` (16 train, 4 val, 4 test). test_glcic.py overrides it with its own."""

    def make(root: Path, kind: str = "faces", channels: int = 3) -> Path:
        splits = {name: smooth_images(n, channels, SIZE, seed)
                  for seed, (name, n) in enumerate([("train", 16), ("val", 4), ("test", 4)])}
        return tiny_dataset(root / "data", splits, kind=kind)

    return make
