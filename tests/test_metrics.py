"""Per-image metrics: parity with skimage, hole metrics by hand, files, LPIPS offline."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage as ndi
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from inpaint import metrics
from inpaint.errors import InpaintError
from inpaint.io import save_png

SSIM_KW = dict(
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=-1
)


def _pair(rng, shape, noise=40):
    real = rng.integers(0, 256, shape, dtype=np.uint8)
    comp = np.clip(real.astype(int) + rng.integers(-noise, noise + 1, shape), 0, 255)
    return real, comp.astype(np.uint8)


@pytest.mark.parametrize(
    "shape",
    [(4, 16, 16, 3), (3, 64, 64, 3), (3, 37, 23, 1), (2, 11, 13, 1), (2, 20, 45, 3),
     (1, 140, 16, 1)],  # the last one takes the scipy filter path (side > 128)
)
def test_parity_with_skimage(shape):
    rng = np.random.default_rng(sum(shape))
    real, comp = _pair(rng, shape)
    known = rng.random(shape[:3]) > rng.uniform(0.1, 0.9)
    known[0, 0, 0] = False  # at least one hole pixel
    frame = metrics.score_images(real, comp, known)
    assert list(frame.columns) == list(metrics.METRIC_COLUMNS)
    for i in range(shape[0]):
        x, y = real[i] / 255.0, comp[i] / 255.0
        hole = ~known[i]
        ssim, smap = structural_similarity(x, y, full=True, **SSIM_KW)
        assert frame.psnr[i] == pytest.approx(peak_signal_noise_ratio(x, y, data_range=1), abs=1e-6)
        assert frame.ssim[i] == pytest.approx(ssim, abs=1e-6)
        assert frame.ssim_hole[i] == pytest.approx(smap[hole].mean(), abs=1e-6)
        assert frame.psnr_hole[i] == pytest.approx(
            peak_signal_noise_ratio(x[hole], y[hole], data_range=1), abs=1e-6
        )
        assert frame.l1[i] == pytest.approx(100 * np.abs(x - y).mean(), abs=1e-9)
        assert frame.l2_hole[i] == pytest.approx(100 * ((x - y)[hole] ** 2).mean(), abs=1e-9)
    assert frame.lpips.isna().all()


@pytest.mark.parametrize("use_matmul", [True, False])
def test_filter_paths_match_scipy(use_matmul):
    rng = np.random.default_rng(1)
    stack = rng.random((2, 3, 19, 33))
    expected = ndi.gaussian_filter(stack, [0, 0, 1.5, 1.5], mode="reflect", truncate=3.5)
    got = metrics._filter_hw(stack.copy(), use_matmul=use_matmul)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13)


def test_ssim_map_matches_skimage_full():
    rng = np.random.default_rng(2)
    real, comp = _pair(rng, (2, 24, 24, 3))
    smap = metrics.ssim_map(real / 255.0, comp / 255.0)
    for i in range(2):
        _, expected = structural_similarity(real[i] / 255.0, comp[i] / 255.0, full=True, **SSIM_KW)
        np.testing.assert_allclose(smap[i], expected, rtol=0, atol=1e-12)


def test_hole_metrics_by_hand():
    real = np.zeros((1, 12, 12, 1), np.uint8)
    comp = real.copy()
    known = np.ones((1, 12, 12), bool)
    known[0, 5:7, 5:7] = False                  # 4 hole pixels
    comp[0, 5, 5:7, 0] = 51                     # two of them off by 0.2
    frame = metrics.score_images(real, comp, known)
    row = frame.iloc[0]
    assert row.l1_hole == pytest.approx(100 * 0.4 / 4)       # 10 %
    assert row.l2_hole == pytest.approx(100 * 0.08 / 4)      # 2 %
    assert row.psnr_hole == pytest.approx(10 * math.log10(1 / 0.02))
    assert row.l1 == pytest.approx(100 * 0.4 / 144)
    assert row.l2 == pytest.approx(100 * 0.08 / 144)
    assert row.psnr == pytest.approx(10 * math.log10(144 / 0.08))
    assert metrics.hole_ratio(known)[0] == 4 / 144


def test_no_hole_gives_nan_and_identical_gives_inf():
    rng = np.random.default_rng(3)
    real, comp = _pair(rng, (2, 16, 16, 3))
    comp[1] = real[1]
    known = np.ones((2, 16, 16), bool)
    known[1, :4, :4] = False
    frame = metrics.score_images(real, comp, known)
    for col in ("psnr_hole", "ssim_hole", "l1_hole", "l2_hole"):
        assert np.isnan(frame[col][0])
    assert np.isfinite(frame.psnr[0])
    assert frame.psnr[1] == np.inf          # skimage's behaviour for MSE 0
    assert frame.psnr_hole[1] == np.inf
    assert frame.ssim[1] == pytest.approx(1.0)
    assert frame.ssim_hole[1] == pytest.approx(1.0)
    assert frame.l1_hole[1] == 0.0


def test_chunking_does_not_change_results():
    rng = np.random.default_rng(4)
    real, comp = _pair(rng, (7, 16, 16, 3))
    known = rng.random((7, 16, 16)) > 0.5
    whole = metrics.score_images(real, comp, known, batch_size=7)
    pieces = metrics.score_images(real, comp, known, batch_size=2)
    pd.testing.assert_frame_equal(whole, pieces)


def test_input_validation():
    real = np.zeros((1, 10, 16, 3), np.uint8)
    with pytest.raises(InpaintError, match="at least 11x11"):
        metrics.score_images(real, real, np.ones((1, 10, 16), bool))
    real = np.zeros((1, 16, 16, 3), np.uint8)
    with pytest.raises(TypeError, match="bool"):
        metrics.score_images(real, real, np.ones((1, 16, 16), np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        metrics.score_images(real.astype(float), real, np.ones((1, 16, 16), bool))
    with pytest.raises(ValueError, match="shape"):
        metrics.score_images(real, real[:, :, :8], np.ones((1, 16, 16), bool))


def _write_case(tmp_path, rng, n=3, size=16, channels=3, rgb_completions=False):
    ids = [f"img{i}" for i in range(n)]
    real, comp = _pair(rng, (n, size, size, channels))
    known = rng.random((n, size, size)) > 0.4
    for i, image_id in enumerate(ids):
        save_png(tmp_path / "real" / f"{image_id}.png", real[i])
        out = np.repeat(comp[i], 3, axis=2) if rgb_completions else comp[i]
        save_png(tmp_path / "comp" / f"{image_id}.png", out)
        save_png(tmp_path / "mask" / f"{image_id}.png", np.where(known[i], 255, 0).astype(np.uint8))
    return ids, real, comp, known


def test_score_files_and_write_metrics_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-torch-home"))
    rng = np.random.default_rng(5)
    ids, real, comp, known = _write_case(tmp_path, rng, channels=1, rgb_completions=True)
    comp[1] = real[1]
    save_png(tmp_path / "comp" / "img1.png", comp[1])
    frame = metrics.score_files(
        tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids, use_lpips=False
    )
    assert list(frame.columns) == list(metrics.CSV_COLUMNS)
    assert frame.image_id.tolist() == ids
    np.testing.assert_allclose(frame.hole_ratio, 1 - known.mean(axis=(1, 2)))
    expected = metrics.score_images(real, comp, known)
    np.testing.assert_allclose(frame.ssim, expected.ssim)
    assert frame.psnr[1] == np.inf

    frame["st_lpips"] = 0.5
    path = tmp_path / "metrics" / "m.csv"
    metrics.write_metrics(path, frame)
    header = path.read_text().splitlines()[0]
    assert header == ",".join([*metrics.CSV_COLUMNS, "st_lpips"])
    back = metrics.read_metrics(path)
    assert back.psnr[1] == np.inf
    assert back.lpips.isna().all()
    np.testing.assert_allclose(back.ssim, frame.ssim)


def test_score_files_names_bad_file(tmp_path):
    rng = np.random.default_rng(6)
    ids, *_ = _write_case(tmp_path, rng)
    save_png(tmp_path / "comp" / "img2.png", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(InpaintError, match=r"img2\.png"):
        metrics.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids, False)
    (tmp_path / "mask" / "img0.png").unlink()
    with pytest.raises(InpaintError, match=r"img0\.png"):
        metrics.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids, False)


# ---------------------------------------------------------------- LPIPS


def test_lpips_absent_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    model, reason = metrics.load_lpips()
    assert model is None
    assert "alexnet-owt-7be5be79.pth" in reason
    assert str(tmp_path / "torch-home") in reason
    assert "not present offline" in reason
    rng = np.random.default_rng(7)
    ids, *_ = _write_case(tmp_path, rng)
    frame = metrics.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids, True)
    assert frame.lpips.isna().all()
    assert frame.attrs["lpips_status"] == reason


def test_weights_path_is_where_torchvision_looks(tmp_path, monkeypatch):
    import torch
    from torchvision.models import AlexNet_Weights

    assert metrics.lpips_weights_path().name == AlexNet_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[1]
    for env in [{}, {"XDG_CACHE_HOME": str(tmp_path / "xdg")},
                {"TORCH_HOME": str(tmp_path / "th"), "XDG_CACHE_HOME": str(tmp_path / "x")}]:
        monkeypatch.delenv("TORCH_HOME", raising=False)
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert metrics.torch_hub_dir() == Path(torch.hub.get_dir())


@pytest.fixture
def fake_alexnet_home(tmp_path, monkeypatch):
    """A TORCH_HOME holding a randomly initialised AlexNet under torchvision's cache name."""
    import torch
    import torchvision

    home = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    path = metrics.lpips_weights_path()
    path.parent.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.alexnet(weights=None).state_dict(), path)

    def no_download(*args, **kwargs):
        raise AssertionError("LPIPS tried to download")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    return home


@pytest.mark.filterwarnings("ignore:.*deprecated since 0.13:UserWarning")
@pytest.mark.parametrize("channels", [3, 1])
def test_lpips_with_weights_matches_lpips_package(fake_alexnet_home, channels):
    import lpips
    import torch

    model, reason = metrics.load_lpips("cpu")
    assert model is not None, reason
    rng = np.random.default_rng(8)
    real, comp = _pair(rng, (3, 32, 32, channels), noise=80)
    known = rng.random((3, 32, 32)) > 0.5
    frame = metrics.score_images(real, comp, known, lpips_model=model)
    assert frame.lpips.notna().all()

    reference = lpips.LPIPS(net="alex", pretrained=True, verbose=False).eval()

    def tensor(a):
        t = torch.from_numpy(a).permute(2, 0, 1)[None].float() / 127.5 - 1
        return t.repeat(1, 3, 1, 1) if channels == 1 else t

    with torch.no_grad():
        expected = [reference(tensor(real[i]), tensor(comp[i])).item() for i in range(3)]
    np.testing.assert_allclose(frame.lpips, expected, rtol=1e-5, atol=1e-6)


def test_lpips_too_small_images_give_nan(fake_alexnet_home):
    model, _ = metrics.load_lpips()
    real = np.zeros((1, 16, 16, 3), np.uint8)
    with pytest.warns(RuntimeWarning, match="at least 31x31"):
        frame = metrics.score_images(real, real, np.ones((1, 16, 16), bool), lpips_model=model)
    assert frame.lpips.isna().all()


def test_st_lpips_column_equals_the_package_forward():
    import torch
    from stlpips_pytorch import stlpips

    rng = np.random.default_rng(3)
    reals = (rng.random((3, 32, 32, 3)) * 255).astype(np.uint8)
    comps = reals.copy()
    comps[:, 8:24, 8:24] = 128
    known = np.ones((3, 32, 32), bool)
    known[:, 8:24, 8:24] = False
    model = metrics.load_st_lpips()
    frame = metrics.score_images(reals, comps, known, st_lpips_model=model)
    assert list(frame.columns)[-2:] == ["lpips", "st_lpips"]
    # the package's own loading (strict=False) on the same images gives the same values
    ref = stlpips.LPIPS(net="alex", variant="shift_tolerant", verbose=False)
    to = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).float() / 127.5 - 1  # noqa: E731
    with torch.no_grad():
        expected = ref(to(reals), to(comps)).flatten().numpy()
    np.testing.assert_allclose(frame.st_lpips.to_numpy(), expected, rtol=1e-5)
    assert (frame.st_lpips > 0).all()
    same = metrics.score_images(reals, reals, known, st_lpips_model=model)
    assert np.allclose(same.st_lpips, 0, atol=1e-6)
