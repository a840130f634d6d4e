"""Distribution metrics of completions: FID and KID on InceptionV3 pool-3 features.

Features (2048 per image) come from pytorch-fid's FID InceptionV3 with the
converted TF Inception weights (inpaint.pretrained.inception). Each image set is
passed through the network once, in batches, reading only one batch of pixels at
a time; grey images are repeated to 3 channels; the network resizes to 299 px
(bilinear) and scales to [-1, 1] as pytorch-fid does.

    results/distribution/{dataset}/test_features.npz        the test images' features
    results/distribution/{dataset}/{maskset}.csv            FID / KID per method
    results/distribution/{dataset}/{maskset}_features.npz   the completions' features

FID: the Frechet distance of Gaussians fitted to both sets. pytorch-fid's
``calculate_frechet_distance`` takes ``scipy.linalg.sqrtm`` of a 2048 x 2048
product: 88 s per call on one core here. :func:`frechet_distance` computes the
same quantity exactly, tr sqrt(S1 S2) as the nuclear norm of F1 F2^T with
S_i = F_i^T F_i (F_i: the centred features / sqrt(n - 1) when n <= 2048, else
a symmetric square root of S_i), in milliseconds; tests compare it with
pytorch-fid's function. FID is biased upwards for small n: compare only values
with the same n.

KID: the unbiased MMD^2 estimate with the cubic polynomial kernel
k(x, y) = (x.y / d + 1)^3 (Binkowski et al. 2018, as torchmetrics), averaged over
seeded random subsets of size min(n, subset_size); mean and (population) std
over subsets as torchmetrics reports them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.errors import InpaintError
from inpaint.io import atomic_path, read_image, write_csv

FEATURES_KEY = "features"
IDS_KEY = "ids"
COLUMNS = ["dataset", "maskset", "method", "n", "fid", "kid_mean", "kid_std",
           "kid_subsets", "kid_subset_size"]


# ---------------------------------------------------------------- features


def _batch_pixels(folder: Path, ids: Sequence[str]) -> np.ndarray:
    """uint8 (B, 3, H, W) for the images ``folder/{id}.png``; grey repeated to 3 channels."""
    arrays = []
    for image_id in ids:
        path = folder / f"{image_id}.png"
        if not path.is_file():
            raise InpaintError(f"{folder} lacks the image {path.name} (needed for FID/KID)")
        image = read_image(path)
        if image.shape[2] == 1:
            image = np.repeat(image, 3, axis=2)
        if arrays and image.shape != arrays[0].shape:
            raise InpaintError(f"image {path} has shape {image.shape}, the others in "
                               f"{folder} {arrays[0].shape}")
        arrays.append(image)
    return np.stack(arrays).transpose(0, 3, 1, 2)


def image_features(model, folder: str | os.PathLike, ids: Sequence[str],
                   batch_size: int = 16) -> np.ndarray:
    """Pool-3 features (n, 2048), float32, of ``folder/{id}.png`` for ``ids``, in order.

    Streams: at most ``batch_size`` images' pixels are held at a time.
    """
    import torch

    folder = Path(folder)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    if batch_size < 1:
        raise InpaintError(f"FID batch size must be >= 1, got {batch_size}")
    out = []
    with torch.no_grad():
        for start in range(0, len(ids), batch_size):
            pixels = _batch_pixels(folder, ids[start:start + batch_size])
            x = torch.from_numpy(pixels).to(device).float().div_(255.0)
            out.append(model(x)[0].flatten(1).cpu().numpy())
    if not out:
        raise InpaintError(f"no images to compute FID features of in {folder}")
    return np.concatenate(out).astype(np.float32)


def save_features(path: str | os.PathLike, ids: Sequence[str], features: np.ndarray,
                  **more: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **{IDS_KEY: np.asarray(ids, dtype=str),
                            FEATURES_KEY: features}, **more)


def load_features(path: str | os.PathLike, ids: Sequence[str] | None = None,
                  key: str = FEATURES_KEY) -> np.ndarray:
    """Cached features; InpaintError naming the file if unreadable or for other images."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            stored_ids = [str(i) for i in data[IDS_KEY]]
            features = np.asarray(data[key])
    except FileNotFoundError:
        raise InpaintError(f"feature cache {path} not found") from None
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise InpaintError(f"feature cache {path} is unreadable ({exc}): delete it and "
                           "rerun") from None
    if features.ndim != 2 or features.shape[0] != len(stored_ids):
        raise InpaintError(f"feature cache {path} holds {key} of shape {features.shape} "
                           f"for {len(stored_ids)} images")
    if ids is not None and stored_ids != list(ids):
        raise InpaintError(f"feature cache {path} is for other images than the dataset's "
                           "test split: delete it and rerun")
    return features


# ---------------------------------------------------------------- FID


def _factor(features: np.ndarray) -> np.ndarray:
    """F with F^T F = the sample covariance (ddof 1) of ``features`` (n, d)."""
    n, d = features.shape
    centred = features - features.mean(axis=0)
    if n <= d:
        return centred / np.sqrt(n - 1)
    cov = centred.T @ centred / (n - 1)
    values, vectors = np.linalg.eigh(cov)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """FID of two feature sets (n_i, d): ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr sqrt(S1 S2)."""
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise InpaintError(f"FID: feature sets of shapes {real.shape} and {fake.shape}")
    if min(len(real), len(fake)) < 2:
        raise InpaintError(f"FID needs at least 2 images per set, got {len(real)} and "
                           f"{len(fake)}")
    f1, f2 = _factor(real), _factor(fake)
    trace_sqrt = np.linalg.svd(f1 @ f2.T, compute_uv=False).sum()
    diff = real.mean(axis=0) - fake.mean(axis=0)
    return float(diff @ diff + (f1 * f1).sum() + (f2 * f2).sum() - 2 * trace_sqrt)


# ---------------------------------------------------------------- KID


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(x.y / d + 1)^3: the KID kernel (degree 3, gamma 1/d, coef 1)."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 of two equal-size samples (m, d) under :func:`polynomial_kernel`."""
    m = len(x)
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2 * k_xy.sum() / (m * m))


def kernel_inception_distance(real: np.ndarray, fake: np.ndarray, n_subsets: int = 100,
                              subset_size: int = 1000,
                              seed: int = 0) -> tuple[float, float, int]:
    """KID: mean and std of :func:`mmd_unbiased` over seeded subsets; returns (mean, std, m)."""
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    m = min(subset_size, len(real), len(fake))
    if m < 2:
        raise InpaintError(f"KID needs subsets of at least 2 images, got {m}")
    if n_subsets < 1:
        raise InpaintError(f"KID needs at least 1 subset, got {n_subsets}")
    rng = np.random.default_rng(seed)
    scores = np.array([
        mmd_unbiased(real[rng.permutation(len(real))[:m]], fake[rng.permutation(len(fake))[:m]])
        for _ in range(n_subsets)
    ])
    return float(scores.mean()), float(scores.std()), m


# ---------------------------------------------------------------- workflow steps


def _test_ids(data_dir) -> list[str]:
    from inpaint.data.store import load_split

    ids, _ = load_split(data_dir, "test")
    return ids


def dataset_test_features(data_dir: str | os.PathLike, out_path: str | os.PathLike,
                          weights: str | os.PathLike, batch_size: int = 16,
                          device: str = "cpu") -> np.ndarray:
    """Features of a prepared dataset's test images (test/{id}.png), cached to ``out_path``."""
    from inpaint.pretrained.inception import load_fid_inception
    from inpaint.training.device import resolve_device

    ids = _test_ids(data_dir)
    model = load_fid_inception(weights, resolve_device(device))
    features = image_features(model, Path(data_dir) / "test", ids, batch_size)
    save_features(out_path, ids, features)
    return features


def score_completions(data_dir: str | os.PathLike, test_features: str | os.PathLike,
                      completion_dirs: Sequence[str | os.PathLike], methods: Sequence[str],
                      dataset: str, maskset: str, out_csv: str | os.PathLike,
                      weights: str | os.PathLike, features_out: str | os.PathLike | None = None,
                      batch_size: int = 16, n_subsets: int = 100, subset_size: int = 1000,
                      seed: int = 0, device: str = "cpu") -> pd.DataFrame:
    """FID and KID of each method's completions of one mask set against the test images."""
    from inpaint.pretrained.inception import load_fid_inception
    from inpaint.training.device import resolve_device

    if len(completion_dirs) != len(methods):
        raise InpaintError("distribution: give one method name per completions folder")
    ids = _test_ids(data_dir)
    real = load_features(test_features, ids)
    for folder in completion_dirs:
        if not Path(folder).is_dir():
            raise InpaintError(f"completions folder not found: {folder}")
    model = load_fid_inception(weights, resolve_device(device))
    rows, fakes = [], {}
    for method, folder in zip(methods, completion_dirs, strict=True):
        fake = image_features(model, folder, ids, batch_size)
        fakes[method] = fake
        kid_mean, kid_std, m = kernel_inception_distance(real, fake, n_subsets, subset_size,
                                                         seed)
        rows.append({"dataset": dataset, "maskset": maskset, "method": method, "n": len(ids),
                     "fid": frechet_distance(real, fake), "kid_mean": kid_mean,
                     "kid_std": kid_std, "kid_subsets": n_subsets, "kid_subset_size": m})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if features_out is not None:
        save_features(features_out, ids, real,
                      **{f"method_{name}": value for name, value in fakes.items()})
    write_csv(out_csv, frame)
    return frame
