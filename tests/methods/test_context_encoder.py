"""Context Encoders at toy size (16 x 16) on the CPU: networks, losses, train -> complete."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn import functional as F

from inpaint.cli import main
from inpaint.errors import InpaintError
from inpaint.masks import center_mask
from inpaint.methods import complete_batch, get_method
from inpaint.methods.context_encoder.network import (
    Generator,
    PatchDiscriminator,
    RegionDiscriminator,
    crop_regions,
    hole_boxes,
)
from inpaint.methods.context_encoder.system import (
    ContextEncoderSystem,
    gan_loss,
    overlap_weights,
    reconstruction_loss,
)
from inpaint.training import LAST_CHECKPOINT, MODEL_JSON, load_checkpoint
from inpaint.training.device import make_runtime

SIZE = 16
TINY = {"steps": 4, "batch_size": 8, "base": 4, "bottleneck": 8, "d_base": 4,
        "checkpoint_every": 2, "sample_every": 2, "log_every": 1}




@pytest.fixture(scope="module")
def dataset(tmp_path_factory, tiny_dataset):
    """A prepared 16 x 16 RGB dataset of smooth gradients (kind folder: flips allowed)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    images = np.stack([np.stack([(a * xx + b * yy + c) % 1.0 for a, b, c in rng.random((3, 3))],
                                axis=-1) for _ in range(24)])
    images = np.round(images * 255).astype(np.uint8)
    return tiny_dataset(tmp_path_factory.mktemp("ce_data"),
                        {"train": images[:16], "val": images[16:20], "test": images[20:]},
                        kind="folder")


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
    with pytest.raises(InpaintError, match=r"train_masks\[0\]\.kind"):
        get_method("context_encoder", train_masks=[{"kind": "blobs"}])
    with pytest.raises(InpaintError, match="discriminator"):
        get_method("context_encoder", discriminator="global")
    with pytest.raises(InpaintError, match="region_size"):
        get_method("context_encoder", region_size=12)
    with pytest.raises(TypeError, match="adv_weight"):
        get_method("context_encoder_l2", adv_weight=0.001)
    with pytest.raises(TypeError, match="discriminator"):
        get_method("context_encoder_l2", discriminator="patch")
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
    # the paper's region discriminator by default, its crop side recorded (half of 16 px)
    assert info["hparams"]["discriminator"] == "region"
    assert info["hparams"]["region_size"] == SIZE // 2
    assert info["flip"] is True
    assert sorted(p.name for p in (tmp_path / "model" / "samples").iterdir()) == \
        ["step_000002.png", "step_000004.png"]

    loaded = get_method("context_encoder", **TINY)
    loaded.load(tmp_path / "model", device="cpu")
    images = np.asarray(Image.open(dataset / "test" / "test000.png"))[None].repeat(2, axis=0)
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
    with pytest.raises(InpaintError, match="model of method 'context_encoder_l2'"):
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


def _known(*holes):
    """Masks (N, 1, SIZE, SIZE), 1 = known, one hole (y0, y1, x0, x1) per image (None: none)."""
    known = torch.ones(len(holes), 1, SIZE, SIZE)
    for i, hole in enumerate(holes):
        if hole is not None:
            y0, y1, x0, x1 = hole
            known[i, :, y0:y1, x0:x1] = 0
    return known


def test_hole_boxes_are_squares_around_the_hole_inside_the_image():
    known = _known((4, 12, 4, 12), (0, 2, 10, 16), (5, 7, 3, 4), None)
    known[2, :, 9, 6] = 0  # a second hole pixel of image 2: the box covers both holes
    boxes = hole_boxes(known).tolist()
    assert boxes[0] == [4, 4, 12, 12]  # the center hole itself (the paper's crop)
    assert boxes[1] == [10, 0, 16, 6]  # 2 x 6 grown to 6 x 6, kept inside the top edge
    assert boxes[2] == [3, 5, 8, 10]  # rows 5-9, cols 3-6: 5 x 4 grown by a column right
    assert boxes[3] == [0, 0, SIZE, SIZE]  # no hole: the whole image


def test_region_crops_copy_or_average_the_box():
    image = torch.rand(2, 3, SIZE, SIZE)
    known = _known((4, 12, 4, 12), (0, 16, 0, 16))
    regions = crop_regions(image, hole_boxes(known), 8)
    assert regions.shape == (2, 3, 8, 8)
    # a box of the crop's side: copied pixel for pixel
    torch.testing.assert_close(regions[0], image[0, :, 4:12, 4:12], rtol=0, atol=1e-6)
    # a box twice the side: each output pixel is the mean of a 2 x 2 block
    torch.testing.assert_close(regions[1], F.avg_pool2d(image[1:2], 2)[0], rtol=0, atol=1e-6)


def _system(discriminator: str):
    params = {**get_method("context_encoder", **TINY, discriminator=discriminator)
              .training_params("folder", SIZE)}
    rt = make_runtime("cpu", threads=1, seed=0)
    return ContextEncoderSystem(rt, params, SIZE, 3, [0.0, 0.0, 0.0])


def test_region_discriminator_sees_the_hole_regions_of_real_and_composite():
    system = _system("region")
    d = system.modules["discriminator"]
    assert isinstance(d, RegionDiscriminator)
    assert d.side == SIZE // 2
    seen = []
    d.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    batch = torch.rand(TINY["batch_size"], 3, SIZE, SIZE) * 2 - 1
    known = system.masks(len(batch), 123)
    system.masks = lambda n, key: known  # the step's training masks, known to the test
    g = copy.deepcopy(system.modules["generator"])  # the generator before the step
    system.train_step(batch, 1)
    assert len(seen) == 3  # D step on real and fake, then the generator's adversarial term
    boxes = hole_boxes(known)
    assert seen[0].shape == (len(batch), 3, SIZE // 2, SIZE // 2)
    torch.testing.assert_close(seen[0], crop_regions(batch, boxes, SIZE // 2))
    # the fake region: the composite (prediction on the hole, real known pixels) in the box
    with torch.no_grad():
        comp = batch * known + g(batch, known) * (1 - known)
    torch.testing.assert_close(seen[1], crop_regions(comp, boxes, SIZE // 2))
    torch.testing.assert_close(seen[2], seen[1])
    inside = crop_regions(known.expand_as(batch), boxes, SIZE // 2) == 1  # wholly known pixels
    torch.testing.assert_close(seen[1][inside], seen[0][inside])
    assert not torch.allclose(seen[1], seen[0])  # the hole pixels are the generator's


def test_patch_discriminator_is_a_named_option(dataset, tmp_path):
    system = _system("patch")
    assert isinstance(system.modules["discriminator"], PatchDiscriminator)
    method = get_method("context_encoder", **{**TINY, "steps": 2}, discriminator="patch")
    method.fit(dataset, tmp_path / "patch", seed=0, device="cpu", threads=1)
    hparams = json.loads((tmp_path / "patch" / MODEL_JSON).read_text())["hparams"]
    assert hparams["discriminator"] == "patch"
    assert "region_size" not in hparams
    # resuming with the other discriminator is another run, refused
    with pytest.raises(InpaintError, match="another"):
        get_method("context_encoder", **{**TINY, "steps": 4}).fit(
            dataset, tmp_path / "patch", seed=0, device="cpu", threads=1)


def test_region_adversarial_gradients_reach_the_generator_through_the_hole_only():
    torch.manual_seed(0)
    g = Generator(SIZE, 3, base=4, bottleneck=8)
    d = RegionDiscriminator(SIZE // 2, 3, base=4)
    batch = torch.rand(4, 3, SIZE, SIZE) * 2 - 1
    known = _known((4, 12, 4, 12), (0, 5, 9, 16), (6, 14, 1, 5), (3, 9, 3, 9))
    pred = g(batch, known)
    pred.retain_grad()
    comp = batch * known + pred * (1 - known)
    loss = gan_loss(d(crop_regions(comp, hole_boxes(known), SIZE // 2)), True, "bce")
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in g.parameters())
    hole = (1 - known).expand_as(pred).bool()
    assert (pred.grad[~hole] == 0).all()  # known pixels are the real image's
    assert (pred.grad[hole] != 0).float().mean() > 0.5
