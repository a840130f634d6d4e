"""Context Encoders at toy size (16 x 16) on the CPU: networks, losses, train -> complete."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from inpaint.cli import main
from inpaint.data.store import DatasetInfo, Split, save_dataset
from inpaint.errors import InpaintError
from inpaint.masks import center_mask
from inpaint.methods import complete_batch, get_method
from inpaint.methods.context_encoder import overlap_weights, reconstruction_loss
from inpaint.networks.context_encoder import Generator, PatchDiscriminator
from inpaint.training import LAST_CHECKPOINT, MODEL_JSON, load_checkpoint

SIZE = 16
TINY = {"steps": 4, "batch_size": 8, "base": 4, "bottleneck": 8, "d_base": 4,
        "checkpoint_every": 2, "sample_every": 2, "log_every": 1}




@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A prepared 16 x 16 RGB dataset of smooth gradients (kind folder: flips allowed)."""
    root = tmp_path_factory.mktemp("ce_data")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    images = np.stack([np.stack([(a * xx + b * yy + c) % 1.0 for a, b, c in rng.random((3, 3))],
                                axis=-1) for _ in range(24)])
    images = np.round(images * 255).astype(np.uint8)

    def split(prefix, part):
        return Split([f"{prefix}{i}" for i in range(len(part))], part, ["toy"] * len(part))

    info = DatasetInfo(name="toy", kind="folder", label="toy", size=SIZE, channels=3)
    save_dataset(root, info, {"train": split("a", images[:16]), "val": split("v", images[16:20]),
                              "test": split("t", images[20:])})
    return root


@pytest.mark.parametrize("channels", [1, 3])
def test_network_shapes_at_toy_size(channels):
    g = Generator(SIZE, channels, base=4, bottleneck=8)
    d = PatchDiscriminator(SIZE, channels, base=4)
    image = torch.rand(2, channels, SIZE, SIZE) * 2 - 1
    known = torch.from_numpy(np.stack([center_mask(SIZE)] * 2)[:, None].astype(np.float32))
    out = g(image, known)
    assert out.shape == image.shape
    assert out.abs().max() <= 1
    assert d(out).shape == (2, 1, 4, 4)
    with pytest.raises(ValueError, match="power of two"):
        Generator(24, channels)


def test_hole_is_filled_with_the_dataset_mean():
    g = Generator(SIZE, 3, base=4, bottleneck=8)
    g.fill.copy_(torch.tensor([0.1, -0.2, 0.3]))
    known = torch.from_numpy(center_mask(SIZE)[None, None].astype(np.float32))
    x = g.masked_input(torch.ones(1, 3, SIZE, SIZE), known)
    assert torch.equal(x[0, :, 8, 8], torch.tensor([0.1, -0.2, 0.3]))
    assert (x[0, :, 0, 0] == 1).all()


def test_overlap_band_weights():
    known = np.ones((SIZE, SIZE), dtype=bool)
    known[6:10, 5:9] = False
    k = torch.from_numpy(known[None, None].astype(np.float32))
    w = overlap_weights(k, overlap=2, band_weight=10.0)[0, 0].numpy()
    expected = np.zeros((SIZE, SIZE))
    expected[4:12, 3:11] = 10.0  # known pixels within 2 px (Chebyshev) of the hole
    expected[6:10, 5:9] = 1.0
    np.testing.assert_array_equal(w, expected)
    np.testing.assert_array_equal(overlap_weights(k, 0, 10.0)[0, 0].numpy(), ~known)


def test_reconstruction_losses():
    known = torch.from_numpy(center_mask(SIZE)[None, None].astype(np.float32))
    real = torch.zeros(1, 1, SIZE, SIZE)
    pred = torch.ones(1, 1, SIZE, SIZE)
    # l1: hole pixels only; an error outside the hole costs nothing
    assert reconstruction_loss(pred * (1 - known), real, known, "l1").item() == 1.0
    assert reconstruction_loss(pred * known, real, known, "l1").item() == 0.0
    # l2_band: 64 hole pixels weight 1, 36 band pixels (1 px ring) weight 10, over 100 pixels
    band_only = reconstruction_loss(pred * known, real, known, "l2_band", 1, 10.0).item()
    assert band_only == pytest.approx(360 / 100)
    assert reconstruction_loss(pred, real, known, "l2_band", 1, 10.0).item() == \
        pytest.approx(424 / 100)


def test_parameters_are_checked():
    with pytest.raises(TypeError, match="bottleneckk"):
        get_method("context_encoder", bottleneckk=3)
    with pytest.raises(InpaintError, match="reconstruction"):
        get_method("context_encoder", reconstruction="l3")
    with pytest.raises(InpaintError, match=r"mask_params\.blobs"):
        get_method("context_encoder", mask_kinds=["blobs"])
    with pytest.raises(TypeError, match="adv_weight"):
        get_method("context_encoder_l2", adv_weight=0.001)
    with pytest.raises(TypeError, match="bottleneckk"):
        get_method("context_encoder_l2", bottleneckk=3)
    assert get_method("context_encoder_l2").params["adv_weight"] == 0.0


def test_characters_are_never_flipped():
    method = get_method("context_encoder", flip=True)
    assert method.training_params("fonts")["flip"] is False
    assert method.training_params("chars74k")["flip"] is False
    assert method.training_params("faces")["flip"] is True


def test_train_then_complete_keeps_known_pixels(dataset, tmp_path):
    method = get_method("context_encoder", **TINY)
    method.fit(dataset, tmp_path / "model", seed=0, device="cpu", threads=1)
    info = json.loads((tmp_path / "model" / MODEL_JSON).read_text())
    assert info["final_losses"].keys() == {"rec", "adv", "d"}
    assert info["flip"] is True
    assert sorted(p.name for p in (tmp_path / "model" / "samples").iterdir()) == \
        ["step_000002.png", "step_000004.png"]

    loaded = get_method("context_encoder", **TINY)
    loaded.load(tmp_path / "model", device="cpu")
    images = np.asarray(Image.open(dataset / "test" / "t0.png"))[None].repeat(2, axis=0)
    known = np.stack([center_mask(SIZE), np.ones((SIZE, SIZE), bool)])
    done = complete_batch(loaded, images, known)
    assert done.dtype == np.uint8
    assert np.array_equal(done[known], images[known])
    assert not np.array_equal(done[0], images[0])  # the hole was predicted

    # the ablation trains its own model, without a discriminator
    l2 = get_method("context_encoder_l2", **{k: v for k, v in TINY.items() if k != "d_base"})
    l2.fit(dataset, tmp_path / "l2", seed=0, device="cpu", threads=1)
    ckpt = load_checkpoint(tmp_path / "l2" / LAST_CHECKPOINT)
    assert set(ckpt["modules"]) == {"generator"}
    with pytest.raises(InpaintError, match="belongs to another run"):
        loaded.load(tmp_path / "l2", device="cpu")


def test_complete_a_user_image_via_cli(dataset, tmp_path):
    params = json.dumps({k: v for k, v in TINY.items() if k != "d_base"})
    model = str(tmp_path / "model")
    assert main(["train", "--data", str(dataset), "--method", "context_encoder_l2",
                 "--params", params, "--out", model, "--device", "cpu"]) == 0
    # a user's image of another size and channel count: resized for the model, composited back
    image = np.full((20, 30), 90, np.uint8)
    Image.fromarray(image).save(tmp_path / "photo.png")
    mask = np.full((20, 30), 255, np.uint8)
    mask[5:12, 8:20] = 0
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "done.png"
    assert main(["complete", "--method", "context_encoder_l2", "--params", params,
                 "--model", model, "--image", str(tmp_path / "photo.png"),
                 "--mask", str(tmp_path / "mask.png"), "--out", str(out)]) == 0
    done = np.asarray(Image.open(out))
    assert done.shape == (20, 30)
    assert (done[mask == 255] == 90).all()
    # another architecture than the one trained is refused, naming the key
    wrong = json.dumps({**json.loads(params), "bottleneck": 16})
    assert main(["complete", "--method", "context_encoder_l2", "--params", wrong,
                 "--model", model, "--image", str(tmp_path / "photo.png"),
                 "--mask", str(tmp_path / "mask.png"), "--out", str(out)]) == 2


def test_resume_matches_an_uninterrupted_run(dataset, tmp_path):
    def weights(model_dir):
        return load_checkpoint(model_dir / LAST_CHECKPOINT)["modules"]

    get_method("context_encoder", **TINY).fit(dataset, tmp_path / "full", seed=3, device="cpu")
    get_method("context_encoder", **{**TINY, "steps": 2}).fit(dataset, tmp_path / "part",
                                                              seed=3, device="cpu")
    get_method("context_encoder", **TINY).fit(dataset, tmp_path / "part", seed=3, device="cpu")
    full, part = weights(tmp_path / "full"), weights(tmp_path / "part")
    for net in ("generator", "discriminator"):
        for key, value in full[net].items():
            assert torch.equal(value, part[net][key]), (net, key)
    def losses(model_dir):
        rows = (model_dir / "train_log.csv").read_text().splitlines()
        # all but the timing columns (seconds, images_per_s, peak_gpu_mb)
        return [row.rsplit(",", 3)[0] for row in rows]

    assert losses(tmp_path / "part") == losses(tmp_path / "full")
