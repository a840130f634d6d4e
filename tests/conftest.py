import os

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
