"""yeh_dcgan: importance weights, latent search, and a tiny train -> complete run (CPU)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from inpaint.cli import main
from inpaint.errors import InpaintError
from inpaint.io import read_image, save_png
from inpaint.methods import complete_batch, get_method, get_method_class
from inpaint.methods.yeh_dcgan import importance_weights

SIZE = 16




def brute_force_weights(known: np.ndarray, window: int) -> np.ndarray:
    """The paper's W_i = sum_{j in N(i)} (1 - M_j) / |N(i)| if M_i else 0, pixel by pixel."""
    h, w = known.shape
    r = window // 2
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            if not known[i, j]:
                continue
            block = known[max(0, i - r):i + r + 1, max(0, j - r):j + r + 1]
            out[i, j] = (~block).sum() / block.size
    return out


@pytest.mark.parametrize("window", [7, 3])
def test_importance_weights_equal_the_papers_formula(window):
    rng = np.random.default_rng(window)
    known = rng.random((5, 13, 11)) < rng.uniform(0.2, 0.9, size=(5, 1, 1))
    weights = importance_weights(known, window)
    assert weights.shape == known.shape
    assert weights.dtype == np.float32
    for k in range(len(known)):
        np.testing.assert_allclose(weights[k], brute_force_weights(known[k], window), atol=1e-6)
    assert (weights[~known] == 0).all()
    # not the inverted variant: a known pixel far from any hole has weight 0, not 1
    one_hole = np.ones((1, 15, 15), bool)
    one_hole[0, 0, 0] = False
    assert importance_weights(one_hole, window)[0, 14, 14] == 0


@pytest.fixture(scope="module")
def blocky_dataset(tiny_dataset):
    """``make(path, kind, channels, n_train)``: blocky random images (4 x 4 blocks), learnable."""

    def make(path, kind="faces", channels=3, n_train=48):
        rng = np.random.default_rng(0)

        def blocky(n):
            low = rng.random((n, 4, 4, channels))
            return (np.kron(low, np.ones((1, SIZE // 4, SIZE // 4, 1))) * 255).astype(np.uint8)

        splits = {"train": blocky(n_train), "val": blocky(4), "test": blocky(4)}
        return tiny_dataset(path, splits, kind=kind)

    return make


TINY = {"steps": 6, "batch_size": 8, "base": 8, "nz": 16, "sample_every": 3,
        "checkpoint_every": 3, "search_steps": 5, "restarts": 2}
ARCH = {k: TINY[k] for k in ("nz", "base")}  # what a config must repeat to load the model


@pytest.fixture(scope="module")
def trained(tmp_path_factory, blocky_dataset):
    root = tmp_path_factory.mktemp("yeh")
    data = blocky_dataset(root / "data")
    model = root / "model"
    get_method("yeh_dcgan", **TINY).fit(data, model, seed=0, device="cpu", threads=1)
    return data, model


def test_train_writes_model_samples_and_log(trained):
    _, model = trained
    info = json.loads((model / "model.json").read_text())
    assert info["method"] == "yeh_dcgan"
    assert info["steps"] == 6
    assert info["flip"] is True
    assert info["hparams"] == {"nz": 16, "base": 8, "lr": 2e-4, "beta1": 0.5}
    assert (model / "samples" / "step_000006.png").is_file()
    assert (model / "loss_curve.png").is_file()
    header = (model / "train_log.csv").read_text().splitlines()[0]
    assert header.startswith("step,phase,d_loss,g_loss,d_real,d_fake")


def test_latent_search_lowers_the_context_loss(trained):
    from inpaint.methods.yeh_dcgan.system import context_loss, latent_search

    _, model = trained
    method = get_method("yeh_dcgan", **TINY)
    method.load(model, device="cpu")
    rng = np.random.default_rng(1)
    target = torch.from_numpy(rng.uniform(-1, 1, (6, 3, SIZE, SIZE)).astype(np.float32))
    known = rng.random((6, SIZE, SIZE)) > 0.8
    weights = torch.from_numpy(importance_weights(known)[:, None])
    kwargs = {"restarts": 1, "lr": 0.05, "seed": 3}
    before = latent_search(method.generator, method.discriminator, target, weights, steps=0,
                           **kwargs)
    after = latent_search(method.generator, method.discriminator, target, weights, steps=40,
                          **kwargs)
    assert (after.context_loss < before.context_loss).all()
    np.testing.assert_allclose(  # the reported loss is the loss of the returned images
        context_loss(after.images, target, weights).numpy(), after.context_loss.numpy(),
        rtol=1e-5)
    assert after.z.abs().max() <= 1.0
    more = latent_search(method.generator, method.discriminator, target, weights, steps=40,
                         restarts=3, lr=0.05, seed=3)
    assert (more.context_loss <= after.context_loss + 1e-4).all()  # restart 0 is the same
    one = [latent_search(method.generator, method.discriminator, target[i:i + 1],
                         weights[i:i + 1], steps=10, z0=more.z[i:i + 1], lr=0.05)
           for i in range(2)]  # batched == per-image: each image's search depends on itself only
    both = latent_search(method.generator, method.discriminator, target[:2], weights[:2],
                         steps=10, z0=more.z[:2], lr=0.05)
    for i in range(2):
        torch.testing.assert_close(both.z[i], one[i].z[0], atol=1e-5, rtol=1e-5)


def test_complete_keeps_known_pixels_and_raw_variant_shares_the_model(trained):
    data, model = trained
    from inpaint.data.store import load_split

    _, images = load_split(data, "test")
    known = np.random.default_rng(2).random(images.shape[:3]) > 0.8
    outs = {}
    for name in ("yeh_dcgan", "yeh_dcgan_raw"):
        method = get_method(name, **ARCH, search_steps=5, restarts=2)
        method.load(model, device="cpu")
        outs[name] = complete_batch(method, images, known)
        assert np.array_equal(outs[name][known], images[known])
    assert get_method_class("yeh_dcgan_raw").model_owner() == "yeh_dcgan"
    assert not np.array_equal(outs["yeh_dcgan"], outs["yeh_dcgan_raw"])  # blending changes holes


def test_cli_complete_and_generate(trained, tmp_path):
    data, model = trained
    image = read_image(data / "test" / "test000.png")
    mask = np.full(image.shape[:2], 255, np.uint8)
    mask[4:12, 4:12] = 0
    save_png(tmp_path / "mask.png", mask)
    params = json.dumps({**ARCH, "search_steps": 3, "restarts": 1})
    assert main(["complete", "--method", "yeh_dcgan", "--model", str(model), "--image",
                 str(data / "test" / "test000.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(tmp_path / "done.png"), "--params", params]) == 0
    done = read_image(tmp_path / "done.png")
    assert np.array_equal(done[mask == 255], image[mask == 255])
    assert main(["generate", "--method", "yeh_dcgan", "--model", str(model), "--n", "6",
                 "--out", str(tmp_path / "grid.png"), "--params", json.dumps(ARCH)]) == 0
    assert read_image(tmp_path / "grid.png").shape[0] > SIZE


def test_resume_extends_training(trained, tmp_path):
    data, model = trained
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(model, copy)
    get_method("yeh_dcgan", **{**TINY, "steps": 8}).fit(data, copy, seed=0, device="cpu",
                                                        threads=1)
    info = json.loads((copy / "model.json").read_text())
    assert info["resumed_from"] == 6
    assert info["steps"] == 8


def test_characters_are_never_flipped(tmp_path, blocky_dataset):
    data = blocky_dataset(tmp_path / "chars", kind="fonts", channels=1, n_train=8)
    params = {**TINY, "steps": 1, "sample_every": 0}
    get_method("yeh_dcgan", **params).fit(data, tmp_path / "m", seed=0, device="cpu", threads=1)
    assert json.loads((tmp_path / "m" / "model.json").read_text())["flip"] is False


def test_bad_parameters_name_the_key():
    with pytest.raises(TypeError, match="nonsense"):
        get_method("yeh_dcgan", nonsense=1)
    with pytest.raises(TypeError, match="blend"):
        get_method("yeh_dcgan_raw", blend=True)
    with pytest.raises(InpaintError, match="window"):
        get_method("yeh_dcgan", window=4)
    with pytest.raises(InpaintError, match="load"):
        get_method("yeh_dcgan").predict(np.zeros((1, 8, 8, 3), np.float32),
                                        np.ones((1, 8, 8), bool))


def test_one_search_completes_both_the_blended_and_the_raw_variant(trained, tmp_path):
    """complete-set --raw-out: the blended and raw folders equal two separate runs."""
    data, model = trained
    masks = tmp_path / "masks"
    assert main(["make-masks", "--data", str(data), "--dataset", "tiny", "--maskset", "px",
                 "--params", json.dumps({"kind": "pixels", "p": 0.8}), "--seed", "0",
                 "--out", str(masks)]) == 0
    common = ["--data", str(data), "--masks", str(masks), "--model", str(model),
              "--device", "cpu", "--params", json.dumps({**ARCH, "search_steps": 4, "restarts": 2})]
    assert main(["complete-set", "--method", "yeh_dcgan", *common,
                 "--out", str(tmp_path / "both"), "--raw-out", str(tmp_path / "both_raw")]) == 0
    for name in ("yeh_dcgan", "yeh_dcgan_raw"):
        assert main(["complete-set", "--method", name, *common,
                     "--out", str(tmp_path / name)]) == 0
    for pair, alone in (("both", "yeh_dcgan"), ("both_raw", "yeh_dcgan_raw")):
        names = sorted(p.name for p in (tmp_path / alone).iterdir())
        assert names == sorted(p.name for p in (tmp_path / pair).iterdir())
        for n in names:
            assert np.array_equal(read_image(tmp_path / pair / n), read_image(tmp_path / alone / n))
    # only a method with a raw variant can write one, and then nothing is written
    assert main(["complete-set", "--method", "yeh_dcgan_raw", *common,
                 "--out", str(tmp_path / "x"), "--raw-out", str(tmp_path / "y")]) == 2
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "y").exists()
