"""Per-image metrics: parity with skimage, hole metrics by hand, files, LPIPS offline."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage as ndi
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from inpaint.errors import InpaintError
from inpaint.evaluation import metrics_csv, perceptual, pixel_metrics, scoring, ssim
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
    frame = scoring.score_images(real, comp, known)
    assert list(frame.columns) == list(metrics_csv.METRIC_COLUMNS)
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
    got = ssim.filter_hw(stack.copy(), use_matmul=use_matmul)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13)


def test_ssim_map_matches_skimage_full():
    rng = np.random.default_rng(2)
    real, comp = _pair(rng, (2, 24, 24, 3))
    x = np.moveaxis(real / 255.0, -1, 1)
    y = np.moveaxis(comp / 255.0, -1, 1)
    smap = np.moveaxis(ssim.ssim_from_stack(np.stack([x, y, x * x + y * y, x * y])), 1, -1)
    for i in range(2):
        _, expected = structural_similarity(real[i] / 255.0, comp[i] / 255.0, full=True, **SSIM_KW)
        np.testing.assert_allclose(smap[i], expected, rtol=0, atol=1e-12)


def test_hole_metrics_by_hand():
    real = np.zeros((1, 12, 12, 1), np.uint8)
    comp = real.copy()
    known = np.ones((1, 12, 12), bool)
    known[0, 5:7, 5:7] = False                  # 4 hole pixels
    comp[0, 5, 5:7, 0] = 51                     # two of them off by 0.2
    frame = scoring.score_images(real, comp, known)
    row = frame.iloc[0]
    assert row.l1_hole == pytest.approx(100 * 0.4 / 4)       # 10 %
    assert row.l2_hole == pytest.approx(100 * 0.08 / 4)      # 2 %
    assert row.psnr_hole == pytest.approx(10 * math.log10(1 / 0.02))
    assert row.l1 == pytest.approx(100 * 0.4 / 144)
    assert row.l2 == pytest.approx(100 * 0.08 / 144)
    assert row.psnr == pytest.approx(10 * math.log10(144 / 0.08))
    assert pixel_metrics.hole_ratio(known)[0] == 4 / 144


def test_no_hole_gives_nan_and_identical_gives_inf():
    rng = np.random.default_rng(3)
    real, comp = _pair(rng, (2, 16, 16, 3))
    comp[1] = real[1]
    known = np.ones((2, 16, 16), bool)
    known[1, :4, :4] = False
    frame = scoring.score_images(real, comp, known)
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
    whole = scoring.score_images(real, comp, known, batch_size=7)
    pieces = scoring.score_images(real, comp, known, batch_size=2)
    pd.testing.assert_frame_equal(whole, pieces)


def test_input_validation():
    real = np.zeros((1, 10, 16, 3), np.uint8)
    with pytest.raises(InpaintError, match="at least 11x11"):
        scoring.score_images(real, real, np.ones((1, 10, 16), bool))
    real = np.zeros((1, 16, 16, 3), np.uint8)
    with pytest.raises(TypeError, match="bool"):
        scoring.score_images(real, real, np.ones((1, 16, 16), np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        scoring.score_images(real.astype(float), real, np.ones((1, 16, 16), bool))
    with pytest.raises(ValueError, match="shape"):
        scoring.score_images(real, real[:, :, :8], np.ones((1, 16, 16), bool))


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
    frame = scoring.score_files(
        tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids, use_lpips=False
    )
    assert list(frame.columns) == [*metrics_csv.CSV_COLUMNS, metrics_csv.BORDER_COLUMN]
    assert frame.image_id.tolist() == ids
    np.testing.assert_allclose(frame.hole_ratio, 1 - known.mean(axis=(1, 2)))
    expected = scoring.score_images(real, comp, known)
    np.testing.assert_allclose(frame.ssim, expected.ssim)
    assert frame.psnr[1] == np.inf

    frame["st_lpips"] = 0.5
    path = tmp_path / "metrics" / "m.csv"
    metrics_csv.write_metrics(path, frame)
    header = path.read_text().splitlines()[0]
    assert header == ",".join([*metrics_csv.CSV_COLUMNS, "st_lpips", metrics_csv.BORDER_COLUMN])
    back = metrics_csv.read_metrics(path)
    assert back.psnr[1] == np.inf
    assert back.lpips.isna().all()
    np.testing.assert_allclose(back.ssim, frame.ssim)


def test_score_files_names_bad_file(tmp_path):
    rng = np.random.default_rng(6)
    ids, *_ = _write_case(tmp_path, rng)
    save_png(tmp_path / "comp" / "img2.png", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(InpaintError, match=r"img2\.png"):
        scoring.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids, False)
    (tmp_path / "mask" / "img0.png").unlink()
    with pytest.raises(InpaintError, match=r"img0\.png"):
        scoring.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids, False)


# ---------------------------------------------------------------- LPIPS


@pytest.fixture
def no_torch_cache(tmp_path, monkeypatch):
    """No torchvision cache, a working directory without resources/, and no downloads."""
    import torch

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    def no_download(*args, **kwargs):
        raise AssertionError("LPIPS tried to download")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)


@pytest.fixture
def torchvision_home(imagenet_weights, tmp_path, monkeypatch, torchvision_checkpoint):
    """A TORCH_HOME holding the converted AlexNet as torchvision's own checkpoint file
    (conftest.torchvision_checkpoint), so the lpips package loads it the way it does online."""
    import torch

    from inpaint.pretrained.imagenet import torchvision_cache_path

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    path = torchvision_cache_path("alexnet")
    path.parent.mkdir(parents=True)
    torch.save(torchvision_checkpoint(imagenet_weights["alexnet"], "alexnet"), path)

    def no_download(*args, **kwargs):
        raise AssertionError("LPIPS tried to download")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    return path


def _torch_image(array):
    import torch

    t = torch.from_numpy(np.array(array)).permute(2, 0, 1)[None].float() / 127.5 - 1
    return t.repeat(1, 3, 1, 1) if t.shape[1] == 1 else t


def test_lpips_without_weights_is_an_error_naming_the_file(tmp_path, no_torch_cache):
    with pytest.raises(InpaintError, match=r"resources/pretrained/alexnet_imagenet\.pt not found"):
        perceptual.load_lpips()
    rng = np.random.default_rng(7)
    ids, *_ = _write_case(tmp_path, rng, size=32)
    with pytest.raises(InpaintError, match=r"alexnet_imagenet\.pt not found"):
        scoring.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids, True)
    broken = tmp_path / "alexnet_imagenet.pt"
    broken.write_bytes(b"not a torch file")
    with pytest.raises(InpaintError, match=r"cannot read .*alexnet_imagenet\.pt"):
        perceptual.load_lpips(weights=broken)
    frame = scoring.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids,
                                False)
    assert frame.lpips.isna().all()
    assert frame.attrs["lpips_status"] == "LPIPS not requested"


def test_lpips_backbone_is_the_file_not_a_random_init(imagenet_weights, no_torch_cache):
    import torch

    model = perceptual.load_lpips(weights=imagenet_weights["alexnet"])
    state = torch.load(imagenet_weights["alexnet"], weights_only=True)
    assert torch.equal(model.net.slice1[0].weight, state["features.0.weight"])
    assert torch.equal(model.net.state_dict()["slice5.10.bias"], state["features.10.bias"])
    assert model.weights_file == imagenet_weights["alexnet"]
    assert all(not p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("channels", [3, 1])
def test_batched_lpips_equals_per_image_lpips_on_the_pngs(imagenet_weights, torchvision_home,
                                                          tmp_path, channels):
    """The batched column equals a plain per-image lpips call on the saved PNGs, with the
    backbone loaded by the lpips package itself through torchvision's cache (1e-5)."""
    import lpips
    import torch
    from PIL import Image

    rng = np.random.default_rng(8)
    ids, *_ = _write_case(tmp_path, rng, n=5, size=40, channels=channels)
    models = perceptual.load_perceptual(True, False, lpips_weights=imagenet_weights["alexnet"])
    frame = scoring.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids,
                                True, models=models, batch_size=2)
    assert frame.lpips.notna().all()
    assert (frame.lpips > 0).all()
    assert str(imagenet_weights["alexnet"]) in frame.attrs["lpips_status"]
    reference = lpips.LPIPS(net="alex", version="0.1", pretrained=True, verbose=False).eval()
    expected = []
    with torch.no_grad():
        for image_id in ids:
            real = np.asarray(Image.open(tmp_path / "real" / f"{image_id}.png"))
            comp = np.asarray(Image.open(tmp_path / "comp" / f"{image_id}.png"))
            if channels == 1:
                real, comp = real[..., None], comp[..., None]
            expected.append(reference(_torch_image(real), _torch_image(comp)).item())
    np.testing.assert_allclose(frame.lpips, expected, rtol=1e-5, atol=1e-6)


def test_torchvision_cache_and_converted_file_give_equal_lpips(imagenet_weights,
                                                               torchvision_home):
    rng = np.random.default_rng(9)
    real, comp = _pair(rng, (4, 48, 48, 3), noise=60)
    known = rng.random((4, 48, 48)) > 0.5
    from_cache = perceptual.load_lpips()
    assert from_cache.weights_file == torchvision_home
    from_file = perceptual.load_lpips(weights=imagenet_weights["alexnet"])
    a = scoring.score_images(real, comp, known, lpips_model=from_cache).lpips
    b = scoring.score_images(real, comp, known, lpips_model=from_file).lpips
    np.testing.assert_array_equal(a, b)


def test_lpips_on_noisy_astronaut_has_the_known_values(imagenet_weights, no_torch_cache):
    """Gaussian noise sigma 0.05 / 0.1 / 0.2 / 0.4 on skimage's astronaut (top-left 256 px,
    [-1, 1]) gives about 0.09 / 0.25 / 0.50 / 0.86 with the ImageNet AlexNet (issue 15); a
    random backbone gives ~0.02 at sigma 0.2."""
    import torch
    from skimage import data

    model = perceptual.load_lpips(weights=imagenet_weights["alexnet"])
    x = _torch_image(data.astronaut()[:256, :256])
    got = []
    for sigma in (0.05, 0.1, 0.2, 0.4):
        noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            got.append(model(x, x + sigma * noise).item())
    np.testing.assert_allclose(got, [0.09, 0.25, 0.50, 0.86], atol=0.02)


def test_lpips_vgg_column(imagenet_weights, no_torch_cache):
    import lpips
    import torch

    rng = np.random.default_rng(10)
    real, comp = _pair(rng, (2, 32, 32, 3), noise=60)
    known = rng.random((2, 32, 32)) > 0.5
    models = perceptual.load_perceptual(False, False, use_lpips_vgg=True,
                                     lpips_vgg_weights=imagenet_weights["vgg16"])
    frame = scoring.score_images(real, comp, known, lpips_vgg_model=models.lpips_vgg)
    assert list(frame.columns)[-2:] == ["lpips", "lpips_vgg"]
    assert frame.lpips.isna().all()
    assert (frame.lpips_vgg > 0).all()
    state = torch.load(imagenet_weights["vgg16"], weights_only=True)
    assert torch.equal(models.lpips_vgg.net.state_dict()["slice5.28.weight"],
                       state["features.28.weight"])
    own = torch.load(Path(lpips.__file__).parent / "weights" / "v0.1" / "vgg.pth",
                     map_location="cpu", weights_only=True)
    assert torch.equal(models.lpips_vgg.lin4.model[1].weight, own["lin4.model.1.weight"])
    with torch.no_grad():
        expected = [models.lpips_vgg(_torch_image(real[i]), _torch_image(comp[i])).item()
                    for i in range(2)]
    np.testing.assert_allclose(frame.lpips_vgg, expected, rtol=1e-5)


def test_lpips_too_small_images_give_nan(imagenet_weights, no_torch_cache):
    model = perceptual.load_lpips(weights=imagenet_weights["alexnet"])
    real = np.zeros((1, 16, 16, 3), np.uint8)
    with pytest.warns(RuntimeWarning, match="at least 31x31"):
        frame = scoring.score_images(real, real, np.ones((1, 16, 16), bool), lpips_model=model)
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
    model = perceptual.load_st_lpips()
    frame = scoring.score_images(reals, comps, known, st_lpips_model=model)
    assert list(frame.columns)[-2:] == ["lpips", "st_lpips"]
    # the package's own loading (strict=False) on the same images gives the same values
    ref = stlpips.LPIPS(net="alex", variant="shift_tolerant", verbose=False)
    to = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).float() / 127.5 - 1  # noqa: E731
    with torch.no_grad():
        expected = ref(to(reals), to(comps)).flatten().numpy()
    np.testing.assert_allclose(frame.st_lpips.to_numpy(), expected, rtol=1e-5)
    assert (frame.st_lpips > 0).all()
    same = scoring.score_images(reals, reals, known, st_lpips_model=model)
    assert np.allclose(same.st_lpips, 0, atol=1e-6)


def test_border_band():
    known = np.ones((7, 7), bool)
    known[2:5, 2:5] = False
    band = pixel_metrics.border_band(known, width=1)
    assert band.sum() == 8  # the hole's ring, not its centre
    assert not band[3, 3]


def test_border_l1_by_hand():
    real = np.full((2, 12, 12, 3), 100, np.uint8)
    done = real.copy()
    known = np.ones((2, 12, 12), bool)
    known[0, 2:10, 2:10] = False            # 8x8 hole: its 2-px ring is the border band
    done[0, 2:10, 2:10] = 110               # centre 4x4 off by 10 more: outside the band
    done[0, 4:8, 4:8] = 120
    got = pixel_metrics.border_l1(real, done, known)
    assert got[0] == pytest.approx(100 * 10 / 255)
    assert np.isnan(got[1])                 # no hole, no border


def test_score_files_scores_the_border_column(tmp_path):
    rng = np.random.default_rng(6)
    ids, real, comp, known = _write_case(tmp_path, rng, channels=3)
    frame = scoring.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids,
                                use_lpips=False)
    np.testing.assert_array_equal(frame[metrics_csv.BORDER_COLUMN],
                                  pixel_metrics.border_l1(real, comp, known))
