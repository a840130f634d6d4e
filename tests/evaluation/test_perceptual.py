"""LPIPS and ST-LPIPS offline (inpaint.evaluation.perceptual)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inpaint.errors import InpaintError
from inpaint.evaluation import perceptual, scoring

from .cases import pair, write_case


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
    ids, *_ = write_case(tmp_path, rng, size=32)
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
    ids, *_ = write_case(tmp_path, rng, n=5, size=40, channels=channels)
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
    real, comp = pair(rng, (4, 48, 48, 3), noise=60)
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
    real, comp = pair(rng, (2, 32, 32, 3), noise=60)
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
