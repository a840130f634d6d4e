"""FID / KID: parity with pytorch-fid and torchmetrics, streaming features, workflow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from inpaint.data.store import DatasetInfo, Split, save_dataset
from inpaint.errors import InpaintError
from inpaint.evaluation.distribution import (
    dataset_test_features,
    frechet_distance,
    image_features,
    kernel_inception_distance,
    load_features,
    mmd_unbiased,
    save_features,
    score_completions,
)
from inpaint.evaluation.distribution_tables import write_distribution_tables
from inpaint.io import save_png

ROOT = Path(__file__).resolve().parents[2]


def _features(n: int, d: int, seed: int, shift: float = 0.0, scale: float = 1.0):
    """Non-negative, correlated features like pool-3 activations."""
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(d, d)) / np.sqrt(d)
    return np.abs(rng.normal(size=(n, d)) @ mix) * scale + shift


def _pytorch_fid(real, fake) -> float:
    from pytorch_fid.fid_score import calculate_frechet_distance

    return float(calculate_frechet_distance(real.mean(0), np.cov(real, rowvar=False),
                                            fake.mean(0), np.cov(fake, rowvar=False)))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # scipy's sqrtm(disp=...)
@pytest.mark.parametrize(("n", "d"), [(30, 96), (300, 24), (64, 64)])
def test_fid_equals_pytorch_fid(n, d):
    """Our exact trace formula against pytorch-fid's sqrtm on the same features: both
    rank-deficient (n <= d, as FID on a few test images) and full-rank covariances."""
    real, fake = _features(n, d, 0), _features(n + 5, d, 1, shift=0.1, scale=1.2)
    ours, theirs = frechet_distance(real, fake), _pytorch_fid(real, fake)
    assert theirs > 0.1
    assert abs(ours - theirs) <= 1e-6 * max(1.0, abs(theirs))


def test_fid_known_values():
    x = _features(50, 8, 2)
    assert abs(frechet_distance(x, x)) < 1e-9
    # a pure mean shift: FID = ||shift||^2
    assert frechet_distance(x, x + 0.5) == pytest.approx(8 * 0.25, abs=1e-9)
    # a scaled copy: FID = tr(S) (1 - s)^2 + ||mu - s mu||^2
    cov, mu = np.cov(x, rowvar=False), x.mean(0)
    expected = np.trace(cov) * (1 - 2) ** 2 + float(((mu - 2 * mu) ** 2).sum())
    assert frechet_distance(x, 2 * x) == pytest.approx(expected, rel=1e-9)
    with pytest.raises(InpaintError, match="at least 2"):
        frechet_distance(x[:1], x)


@pytest.mark.parametrize(("m", "d"), [(20, 2048), (50, 32)])
def test_subset_mmd_equals_torchmetrics(m, d):
    from torchmetrics.image.kid import poly_mmd

    real, fake = _features(m, d, 3), _features(m, d, 4, shift=0.05)
    theirs = float(poly_mmd(torch.from_numpy(real), torch.from_numpy(fake)))
    ours = mmd_unbiased(real, fake)
    assert abs(theirs) > 1e-4
    assert abs(ours - theirs) <= 1e-6 * max(1.0, abs(theirs))


def test_kid_over_subsets_matches_torchmetrics_definition():
    """subset_size = n: every subset is the whole set (MMD is permutation-invariant), so the
    mean is torchmetrics' poly_mmd of the full sets and the std is 0; smaller subsets are
    seeded."""
    from torchmetrics.image.kid import poly_mmd

    real, fake = _features(40, 16, 5), _features(40, 16, 6, shift=0.2)
    mean, std, m = kernel_inception_distance(real, fake, n_subsets=3, subset_size=1000)
    full = float(poly_mmd(torch.from_numpy(real), torch.from_numpy(fake)))
    assert m == 40
    assert mean == pytest.approx(full, abs=1e-9)
    assert std == pytest.approx(0.0, abs=1e-9)
    a = kernel_inception_distance(real, fake, n_subsets=20, subset_size=10, seed=1)
    b = kernel_inception_distance(real, fake, n_subsets=20, subset_size=10, seed=1)
    c = kernel_inception_distance(real, fake, n_subsets=20, subset_size=10, seed=2)
    assert a == b
    assert a != c
    assert a[1] > 0


def test_kid_is_unbiased():
    """Same distribution: over 300 independent draws the subset MMD averages to 0 within
    3 standard errors, where the biased V-statistic (diagonal kept) is clearly positive."""
    rng = np.random.default_rng(7)
    unbiased, biased = [], []
    for _ in range(300):
        x, y = rng.normal(size=(10, 16)), rng.normal(size=(10, 16))
        unbiased.append(mmd_unbiased(x, y))
        k = [(a @ b.T / 16 + 1) ** 3 for a, b in ((x, x), (y, y), (x, y))]
        biased.append(float(k[0].mean() + k[1].mean() - 2 * k[2].mean()))
    se = np.std(unbiased) / np.sqrt(300)
    assert abs(np.mean(unbiased)) < 3 * se
    assert np.mean(biased) > 10 * se


# ---------------------------------------------------------------- features


class _Recorder(torch.nn.Module):
    """Stands in for the Inception: records batches, returns per-image means as 'features'."""

    def __init__(self):
        super().__init__()
        self.batches = []

    def forward(self, x):
        self.batches.append(x.clone())
        return [x.mean(dim=(2, 3), keepdim=True).repeat(1, 2048 // 3 + 1, 1, 1)[:, :2048]]


def _grey_folder(folder: Path, n: int, size: int = 8) -> list[str]:
    ids = [f"img{i}" for i in range(n)]
    for i, image_id in enumerate(ids):
        save_png(folder / f"{image_id}.png", np.full((size, size), 40 * i, dtype=np.uint8))
    return ids


def test_features_stream_in_batches_and_repeat_grey(tmp_path):
    ids = _grey_folder(tmp_path, 5)
    model = _Recorder()
    features = image_features(model, tmp_path, ids, batch_size=2)
    assert [len(b) for b in model.batches] == [2, 2, 1]
    first = model.batches[0]
    assert first.shape == (2, 3, 8, 8)
    assert torch.equal(first[:, 0], first[:, 1])
    assert torch.equal(first[:, 1], first[:, 2])
    assert float(first.max()) <= 1.0
    assert features.shape == (5, 2048)
    assert features.dtype == np.float32
    np.testing.assert_allclose(features[:, 0], [40 * i / 255 for i in range(5)], rtol=1e-6)


def test_missing_image_and_bad_cache_are_named(tmp_path):
    ids = _grey_folder(tmp_path / "set", 2)
    with pytest.raises(InpaintError, match=r"lacks the image nope\.png"):
        image_features(_Recorder(), tmp_path / "set", [*ids, "nope"])
    cache = tmp_path / "f.npz"
    save_features(cache, ids, np.zeros((2, 2048), np.float32))
    assert load_features(cache, ids).shape == (2, 2048)
    with pytest.raises(InpaintError, match="other images"):
        load_features(cache, ["a", "b"])
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    with pytest.raises(InpaintError, match=str(bad)):
        load_features(bad)


def _dataset(out: Path, n: int = 4, size: int = 16) -> list[np.ndarray]:
    yy, xx = np.mgrid[:size, :size]
    images = [((np.sin(xx / (2 + i)) + np.cos(yy / (3 + i)) + 2) * 60).astype(np.uint8)[..., None]
              for i in range(n)]
    test = Split([f"t{i}" for i in range(n)], np.stack(images), ["src"] * n)
    empty = Split([], np.zeros((0, size, size, 1), np.uint8), [])
    info = DatasetInfo(name="toy", kind="test", label="toy", size=size, channels=1)
    save_dataset(out, info, {"train": empty, "val": empty, "test": test})
    return images


def test_scores_with_the_real_inception(tmp_path, fid_inception_weights):
    """4 grey 16 px images: completions equal to the test images score FID ~0; noisy ones
    clearly worse. Both KID and FID from cached test features."""
    data = tmp_path / "data"
    images = _dataset(data)
    same, noisy = tmp_path / "same", tmp_path / "noisy"
    rng = np.random.default_rng(1)
    for i, image in enumerate(images):
        save_png(same / f"t{i}.png", image)
        noise = rng.integers(-60, 60, size=image.shape)
        save_png(noisy / f"t{i}.png", np.clip(image.astype(int) + noise, 0, 255).astype(np.uint8))
    cache = tmp_path / "test_features.npz"
    real = dataset_test_features(data, cache, fid_inception_weights, batch_size=3)
    assert real.shape == (4, 2048)
    frame = score_completions(data, cache, [same, noisy], ["same", "noisy"], "toy", "center",
                              tmp_path / "fid_kid.csv", fid_inception_weights,
                              features_out=tmp_path / "features.npz", batch_size=3,
                              n_subsets=5, subset_size=1000, seed=0)
    by = frame.set_index("method")
    assert by.loc["same", "fid"] == pytest.approx(0.0, abs=1e-3)
    assert by.loc["noisy", "fid"] > 1.0
    assert by.loc["noisy", "kid_mean"] > by.loc["same", "kid_mean"]
    assert list(frame["n"]) == [4, 4]
    assert list(pd.read_csv(tmp_path / "fid_kid.csv")["method"]) == ["same", "noisy"]
    np.testing.assert_array_equal(load_features(tmp_path / "features.npz", key="method_same"),
                                  real)
    out = tmp_path / "tables"
    table = write_distribution_tables([tmp_path / "fid_kid.csv"], out)
    assert len(table) == 2
    md = (out / "distribution.md").read_text()
    assert "| n |" in md
    assert "biased" in md
    assert "<table>" in (out / "distribution.html").read_text()


@pytest.mark.slow
def test_workflow_with_fid_on(tmp_path, fid_helper_wheel):
    """config/test_fid.yaml end to end: conversion rule, features, per-set CSV, tables."""
    config = yaml.safe_load((ROOT / "config" / "test_fid.yaml").read_text())
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "resources" / "pretrained").mkdir(parents=True)
    (tmp_path / "resources" / "pretrained" / fid_helper_wheel.name).symlink_to(
        Path(fid_helper_wheel).resolve())
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
           "--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml"),
           "--workflow-profile", str(ROOT / "workflow" / "profiles" / "default"),
           "--cores", "2", "results/tables/distribution.csv"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(tmp_path / "results" / "tables" / "distribution.csv")
    assert list(table["method"]) == ["biharmonic", "telea"]
    assert set(table["n"]) == {4}
    assert table["fid"].gt(0).all()
    assert (tmp_path / "resources" / "pretrained" / "fid_inception.json").is_file()
    # the default config does not ask for the distribution tables
    dry = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile",
                          str(ROOT / "Snakefile"), "--directory", str(tmp_path / "dflt"), "-n",
                          "--configfile", str(ROOT / "config.yaml"), "--cores", "1"],
                         capture_output=True, text=True, cwd=ROOT)
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert "distribution" not in dry.stdout
