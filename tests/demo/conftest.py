"""A small results layout for the demo tests: a prepared dataset of photo crops, one tiny
trained model (context_encoder, trained here in seconds) and one model folder that does
not load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint.data.store import DatasetInfo, Split, save_dataset

ROOT = Path(__file__).resolve().parents[2]
SIZE = 32
TINY_CE = {"steps": 4, "batch_size": 8, "base": 4, "bottleneck": 8, "d_base": 4,
           "checkpoint_every": 2, "sample_every": 2, "log_every": 1}


def photo(size: int, name: str = "astronaut") -> np.ndarray:
    """A real photo that ships with scikit-image, resized to size x size (uint8 RGB)."""
    import skimage.data

    image = Image.fromarray(getattr(skimage.data, name)())
    return np.asarray(image.convert("RGB").resize((size, size), Image.Resampling.LANCZOS))


@pytest.fixture(scope="session")
def results(tmp_path_factory) -> Path:
    """results/{data,models} of one 32 x 32 RGB dataset 'toy' (crops of skimage photos)."""
    from inpaint.methods import get_method

    root = tmp_path_factory.mktemp("demo_results")
    rng = np.random.default_rng(0)
    crops = []
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        big = photo(128, name)
        for _ in range(10):
            y, x = rng.integers(0, 128 - SIZE, size=2)
            crops.append(big[y:y + SIZE, x:x + SIZE])
    images = np.stack(crops)
    rng.shuffle(images)
    splits = {name: Split([f"{name}{i}" for i in range(len(part))], part, ["skimage"] * len(part))
              for name, part in (("train", images[:28]), ("val", images[28:32]),
                                 ("test", images[32:]))}
    data = root / "data" / "toy"
    save_dataset(data, DatasetInfo("toy", "folder", "toy photos", SIZE, 3), splits)
    model = root / "models" / "toy" / "context_encoder"
    get_method("context_encoder", **TINY_CE).fit(data, model, seed=0, device="cpu", threads=1)
    broken = root / "models" / "toy" / "glcic"
    broken.mkdir(parents=True)
    record = json.loads((model / "model.json").read_text()) | {"method": "glcic"}
    (broken / "model.json").write_text(json.dumps(record))
    (broken / "last.pt").write_bytes(b"not a checkpoint")
    return root


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory) -> Path:
    """The repository's config.yaml plus a mask kind that covers every pixel."""
    import yaml

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["masks"]["everything"] = {"kind": "pixels", "p": 1.0}
    path = tmp_path_factory.mktemp("demo_config") / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def resources_link(tmp_path) -> Path:
    """An empty working directory that sees the repository's resources/ (LPIPS weights)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    if (ROOT / "resources").exists():
        (cwd / "resources").symlink_to((ROOT / "resources").resolve())
    return cwd


@pytest.fixture(scope="session")
def real_photo():
    """photo(size, name): a scikit-image photo at size x size."""
    return photo
