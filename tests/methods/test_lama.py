"""lama: the FFC spectral transform and its global reach, padding and cropping at any size,
the loss terms by hand (R1 = squared gradient norm), the perceptual networks (VGG16, a
user-supplied HRF file), and a tiny train -> complete through the command line with an
exact resume and the model.json record."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from inpaint.cli import main
from inpaint.errors import InpaintError
from inpaint.io import read_image, read_mask
from inpaint.methods import complete_batch, get_method, learned_methods
from inpaint.methods.lama import LAMA_MIXTURE, PAPER_LOSS
from inpaint.methods.lama.network import (
    FFC,
    FFCResNetGenerator,
    FourierUnit,
    LamaGenerator,
    NLayerDiscriminator,
    SpectralTransform,
    pad_symmetric,
)
from inpaint.methods.lama.system import (
    discriminator_adversarial,
    feature_matching,
    generator_adversarial,
    load_hrf_network,
    masked_l1,
    r1_penalty,
)
from inpaint.pretrained.imagenet import torchvision_cache_path
from inpaint.training import LAST_CHECKPOINT, MODEL_JSON

SIZE = 16
TINY = {"steps": 4, "batch_size": 4, "ngf": 4, "n_blocks": 1, "ndf": 4, "d_layers": 2,
        "log_every": 1, "sample_every": 2, "checkpoint_every": 2}


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """No VGG16 weights unless a test writes some (empty torch hub cache, a working
    directory without resources/pretrained/)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.chdir(tmp_path)


# ---- the network -------------------------------------------------------------------------------
@pytest.mark.parametrize(("h", "w"), [(8, 8), (7, 10)])
def test_fourier_unit_and_spectral_transform_shapes(h, w):
    torch.manual_seed(0)
    x = torch.randn(2, 6, h, w)
    fu = FourierUnit(6, 6)
    assert fu.conv.in_channels == 12
    assert fu.conv.out_channels == 12
    assert fu.conv.kernel_size == (1, 1)
    assert fu(x).shape == (2, 6, h, w)
    st = SpectralTransform(6, 10)
    assert st(x).shape == (2, 10, h, w)


def test_fourier_unit_is_the_spectrum_through_a_1x1_conv():
    """With an identity 1x1 convolution, unit batch norm and positive spectra the unit
    returns its input: irfft2(rfft2(x)) (ReLU drops the negative parts only)."""
    fu = FourierUnit(1, 1).eval()
    with torch.no_grad():
        fu.conv.weight.copy_(torch.eye(2).view(2, 2, 1, 1))
    x = torch.zeros(1, 1, 6, 6)
    x[0, 0, 0, 0] = 1.0  # an impulse: every Fourier coefficient is 1/6 + 0i
    out = fu(x)
    torch.testing.assert_close(out, x / (1 + 1e-5) ** 0.5, atol=1e-6, rtol=1e-5)


def test_the_global_branch_reaches_the_whole_image():
    """A change in one corner moves an FFC's global output everywhere (its spectral
    transform sees the whole map); the local-only FFC's stays inside its 3x3 reach."""
    torch.manual_seed(0)
    ffc = FFC(8, 8, 3, 0.75, 0.75, padding=1).eval()
    local = FFC(8, 8, 3, 0.0, 0.0, padding=1).eval()
    x = torch.rand(1, 8, 16, 16)
    y = x.clone()
    y[..., 0, 0] += 1.0
    with torch.no_grad():
        gx, gy = ffc((x[:, :2], x[:, 2:])), ffc((y[:, :2], y[:, 2:]))
        lx, ly = local((x, None)), local((y, None))
    moved = (gx[1] - gy[1]).abs().amax(1)[0]
    assert (moved > 1e-6).all()  # every pixel of the global output, far corner included
    moved_local = (lx[0] - ly[0]).abs().amax(1)[0]
    assert moved_local[2:, 2:].max() == 0
    assert moved_local[0, 0] > 0


def test_generator_layout_follows_big_lama():
    gen = FFCResNetGenerator(4, 3, ngf=8, n_downsampling=3, n_blocks=2)
    assert [d.ffc.out_g for d in gen.down] == [0, 0, int(64 * 0.75)]  # split at the last
    block = gen.blocks[0].conv1.ffc
    assert block.convg2g is not None
    assert block.convl2l.in_channels == 64 - 48
    assert block.convl2l.padding_mode == "reflect"
    assert isinstance(gen.out[-1], nn.Sigmoid)
    y = gen(torch.rand(2, 4, 32, 32))
    assert y.shape == (2, 3, 32, 32)
    assert y.min() >= 0
    assert y.max() <= 1


def test_discriminator_returns_logits_and_features():
    d = NLayerDiscriminator(3, 8, 3)
    logits, feats = d(torch.rand(2, 3, 32, 32))
    assert logits.shape[:2] == (2, 1)
    assert [f.shape[1] for f in feats] == [8, 16, 32, 64]


@pytest.mark.parametrize(("h", "w", "multiple"), [(5, 3, 4), (13, 9, 8), (2, 7, 4), (16, 16, 4)])
def test_symmetric_padding_is_numpys(h, w, multiple):
    a = np.random.default_rng(0).random((1, 2, h, w))
    out = pad_symmetric(torch.from_numpy(a), multiple).numpy()
    ph, pw = out.shape[-2] - h, out.shape[-1] - w
    assert out.shape[-2] % multiple == 0
    assert out.shape[-1] % multiple == 0
    assert ph < multiple
    assert pw < multiple
    np.testing.assert_array_equal(out, np.pad(a, ((0, 0), (0, 0), (0, ph), (0, pw)),
                                              mode="symmetric"))


@pytest.mark.parametrize(("h", "w"), [(16, 16), (17, 23), (9, 5), (3, 3)])
def test_generator_pads_and_crops_any_size(h, w):
    torch.manual_seed(0)
    gen = LamaGenerator(3, 4, 2, 1).eval()
    x, known = torch.rand(1, 3, h, w), (torch.rand(1, 1, h, w) > 0.5).float()
    with torch.no_grad():
        y = gen(x, known)
    assert y.shape == (1, 3, h, w)
    # the prediction is the top-left crop of the padded image's prediction
    hole = 1 - known
    padded = pad_symmetric(torch.cat([x * known, hole], 1), 4, 8)
    with torch.no_grad():
        full = gen.net(padded)
    torch.testing.assert_close(y, full[..., :h, :w])


def test_the_generator_never_sees_hole_pixels():
    torch.manual_seed(0)
    gen = LamaGenerator(3, 4, 2, 1).eval()
    x, known = torch.rand(2, 3, 16, 16), torch.ones(2, 1, 16, 16)
    known[..., 4:10, 5:12] = 0
    other = torch.where(known.bool(), x, torch.rand_like(x))
    with torch.no_grad():
        torch.testing.assert_close(gen(x, known), gen(other, known))


# ---- the losses, by hand ---------------------------------------------------------------------
def test_masked_l1_by_hand():
    pred = torch.tensor([[[[0.0, 1.0], [0.5, 0.25]]]])
    target = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])
    hole = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])
    # known pixels (0, 1) and (1, 0): |0| * 10 + |0.5| * 10; hole pixels weight 0; mean of 4
    assert masked_l1(pred, target, hole, 10.0, 0.0).item() == pytest.approx(5.0 / 4)
    # hole weight 2: + (1 + 0.25) * 2
    assert masked_l1(pred, target, hole, 10.0, 2.0).item() == pytest.approx(7.5 / 4)


def test_r1_is_the_squared_gradient_norm():
    """D(x) = sum_c w_c x_c per pixel (a 1x1 conv): d sum D / dx = w at every pixel, so
    ||grad||^2 = H W sum(w^2) for each image; the penalty has a graph back to w."""
    conv = nn.Conv2d(3, 1, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, -2.0, 0.5]).view(1, 3, 1, 1))
    real = torch.rand(2, 3, 4, 5, requires_grad=True)
    penalty = r1_penalty(conv(real), real)
    assert penalty.item() == pytest.approx(4 * 5 * (1 + 4 + 0.25))
    penalty.backward()
    # d/dw (H W sum w^2) = 2 H W w
    torch.testing.assert_close(conv.weight.grad.view(3), 40 * torch.tensor([1.0, -2.0, 0.5]))


def test_adversarial_terms_by_hand():
    real = torch.tensor([[[[0.0, 1.0], [2.0, -1.0]]]])
    fake = torch.tensor([[[[1.0, -1.0], [0.5, 0.0]]]])
    hole = torch.zeros(1, 1, 4, 4)
    hole[..., :2, :2] = 1  # resized (nearest) to 2x2: only the top-left logit is "hole"
    sp = F.softplus
    expected_fake = (sp(torch.tensor(1.0)) + sp(torch.tensor(1.0)) + sp(torch.tensor(-0.5))
                     + sp(torch.tensor(0.0))) / 4  # hole: softplus(D), known: softplus(-D)
    expected = sp(-real).mean() + expected_fake
    assert discriminator_adversarial(real, fake, hole).item() == pytest.approx(expected.item())
    assert generator_adversarial(fake).item() == pytest.approx(sp(-fake).mean().item())


def test_feature_matching_by_hand():
    a = [torch.zeros(1, 2, 2, 2), torch.zeros(1, 1, 3, 3)]
    b = [torch.ones(1, 2, 2, 2), torch.full((1, 1, 3, 3), 2.0)]
    assert feature_matching(a, b).item() == pytest.approx((1 + 4) / 2)


# ---- perceptual networks ---------------------------------------------------------------------
class TinyFeatures(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 4, 3, stride=2, padding=1)

    def forward(self, x):
        f = torch.relu(self.a(x))
        return [f, torch.relu(self.b(f))]


@pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")
def test_hrf_network_files_load(tmp_path):
    from torchvision.models import resnet50

    torch.manual_seed(0)
    net = TinyFeatures().eval()
    x = torch.rand(1, 3, 16, 16)
    script = tmp_path / "hrf.pt"
    torch.jit.save(torch.jit.script(net), script)
    torch.testing.assert_close(load_hrf_network(script)(x), net(x))
    module = tmp_path / "hrf_module.pt"
    torch.save(net, module)  # a pickled module: never unpickled, refused with a hint
    with pytest.raises(InpaintError, match=r"hrf_module\.pt.*torch\.jit\.save"):
        load_hrf_network(module)
    state = tmp_path / "resnet50.pth"
    torch.save(resnet50(weights=None).state_dict(), state)
    feats = load_hrf_network(state).eval()(torch.rand(1, 3, 32, 32))
    assert [f.shape[1] for f in feats] == [256, 512, 1024, 2048]
    # layer3 and layer4 dilated, not strided: output stride 8 (4 px of 32), as layer2's
    assert [f.shape[-1] for f in feats] == [8, 4, 4, 4]
    bad = tmp_path / "bad.pth"
    torch.save({"conv9.weight": torch.zeros(1)}, bad)
    with pytest.raises(InpaintError, match="ResNet50 state dict"):
        load_hrf_network(bad)
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(InpaintError, match=r"junk\.pt"):
        load_hrf_network(tmp_path / "junk.pt")


# ---- training and completion -----------------------------------------------------------------
def test_tiny_train_then_complete_through_the_cli(tmp_path, make_dataset, smooth_images,
                                                   capfd):
    data = make_dataset(tmp_path)
    masks, model, out = tmp_path / "masks", tmp_path / "model", tmp_path / "out"
    params = json.dumps(TINY)
    assert main(["make-masks", "--data", str(data), "--dataset", "toy", "--maskset", "thick",
                 "--params", json.dumps({"kind": "lama_thick"}), "--out", str(masks)]) == 0
    assert main(["train", "--data", str(data), "--method", "lama", "--params", params,
                 "--seed", "0", "--device", "cpu", "--threads", "1", "--out", str(model)]) == 0
    assert capfd.readouterr().err.count("perceptual loss off: no VGG16") == 1
    assert main(["complete-set", "--data", str(data), "--masks", str(masks), "--method",
                 "lama", "--params", params, "--model", str(model), "--device", "cpu",
                 "--out", str(out)]) == 0
    record = json.loads((model / MODEL_JSON).read_text())
    assert record["method"] == "lama"
    assert record["hparams"]["train_masks"] == [{**b, "weight": pytest.approx(1 / 3)}
                                                for b in LAMA_MIXTURE]
    assert record["perceptual_network"]["kind"] == "none"
    assert record["perceptual_network"]["status"].startswith("off: no VGG16")
    assert record["paper_loss_terms"] == PAPER_LOSS
    assert record["loss_terms"] == {"l1_known": 10.0, "adversarial": 10.0, "r1": 0.001,
                                    "feature_matching": 100.0}
    losses = record["final_losses"]
    assert "perc" not in losses
    assert losses["r1"] >= 0
    assert losses["d_adv"] > 0
    assert losses["g_total"] == pytest.approx(
        losses["l1"] + 10 * losses["g_adv"] + 100 * losses["fm"], rel=1e-5)
    weights = torch.load(model / LAST_CHECKPOINT, weights_only=True)["modules"]
    assert sorted(weights) == ["discriminator", "generator"]
    assert sorted(p.name for p in (model / "samples").iterdir()) == \
        ["step_000002.png", "step_000004.png"]

    from inpaint.data.store import load_split

    ids, images = load_split(data, "test")
    known = np.stack([read_mask(masks / f"{i}.png") for i in ids])
    written = np.stack([read_image(out / f"{i}.png") for i in ids])
    np.testing.assert_array_equal(written[known], images[known])
    method = get_method("lama", **TINY)
    method.load(model, device="cpu")
    np.testing.assert_array_equal(written, complete_batch(method, images, known))

    # twice the training size, and an odd size: fully convolutional
    big = smooth_images(2, 3, 2 * SIZE, 5)
    hole = np.ones((2, 2 * SIZE, 2 * SIZE), dtype=bool)
    hole[:, 8:24, 10:20] = False
    done = complete_batch(method, big, hole)
    assert done.shape == big.shape
    np.testing.assert_array_equal(done[hole], big[hole])
    assert not np.array_equal(done[~hole], big[~hole])
    odd = complete_batch(method, smooth_images(1, 3, 21, 6), np.ones((1, 21, 21), bool))
    assert odd.shape == (1, 21, 21, 3)
    with pytest.raises(InpaintError, match="3-channel"):
        method.predict(np.zeros((1, 16, 16, 1), np.float32), np.ones((1, 16, 16), bool))
    with pytest.raises(InpaintError, match="n_blocks"):
        get_method("lama", **{**TINY, "n_blocks": 2}).load(model, device="cpu")


def test_resume_is_exact(tmp_path, make_dataset):
    data = make_dataset(tmp_path, kind="fonts", channels=1)
    get_method("lama", **TINY).fit(data, tmp_path / "a", seed=3, device="cpu", threads=1)
    get_method("lama", **{**TINY, "steps": 2}).fit(data, tmp_path / "b", seed=3, device="cpu",
                                                   threads=1)
    get_method("lama", **TINY).fit(data, tmp_path / "b", seed=3, device="cpu", threads=1)
    a = torch.load(tmp_path / "a" / LAST_CHECKPOINT, weights_only=True)["modules"]
    b = torch.load(tmp_path / "b" / LAST_CHECKPOINT, weights_only=True)["modules"]
    for net in ("generator", "discriminator"):
        assert all(torch.equal(a[net][k], b[net][k]) for k in a[net])
    assert json.loads((tmp_path / "b" / MODEL_JSON).read_text())["resumed_from"] == 2


def test_vgg16_features_are_the_default_perceptual_network(tmp_path, monkeypatch,
                                                           make_dataset):
    from torchvision.models import vgg16

    from inpaint.evaluation.loss_notes import loss_term_notes, model_records

    torch.manual_seed(0)  # random VGG16 weights: the code path only, not quality
    cache = torchvision_cache_path("vgg16")
    cache.parent.mkdir(parents=True)
    features = vgg16(weights=None).features.state_dict()
    torch.save({f"features.{k}": v for k, v in features.items()}, cache)
    data = make_dataset(tmp_path)
    model = tmp_path / "models" / "faces" / "lama"
    get_method("lama", **{**TINY, "steps": 2}).fit(data, model, seed=0, device="cpu", threads=1)
    record = json.loads((model / MODEL_JSON).read_text())
    net = record["perceptual_network"]
    assert net["kind"] == "vgg16"
    assert net["file"] == str(cache)
    assert len(net["sha256"]) == 64
    assert record["loss_terms"] == {"l1_known": 10.0, "adversarial": 10.0, "r1": 0.001,
                                    "feature_matching": 100.0}
    assert record["extra_loss_terms"] == {"perceptual_vgg16": 0.03}  # the authors' VGG weight
    assert "ADE20k" in record["loss_terms_reason"]
    losses = record["final_losses"]
    assert losses["perc"] > 0
    assert losses["g_total"] == pytest.approx(losses["l1"] + 10 * losses["g_adv"]
                                              + 100 * losses["fm"] + 0.03 * losses["perc"],
                                              rel=1e-5)
    notes = loss_term_notes([("faces", "lama")], model_records([model / MODEL_JSON]))
    assert len(notes) == 1
    assert "4 of its paper's 5 loss terms" in notes[0]
    assert "without hrf_perceptual (replaced by a perceptual loss on ImageNet VGG16" in notes[0]
    assert notes[0].startswith("lama on faces")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    with pytest.raises(InpaintError, match="perceptual network 'vgg16'"):
        get_method("lama", **{**TINY, "steps": 3}).fit(data, model, seed=0, device="cpu",
                                                       threads=1)


@pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")
def test_a_user_hrf_network_trains_and_is_recorded(tmp_path, make_dataset):
    torch.manual_seed(0)
    script = tmp_path / "hrf.pt"
    torch.jit.save(torch.jit.script(TinyFeatures()), script)
    data = make_dataset(tmp_path)
    params = {**TINY, "steps": 2, "perceptual": "hrf", "hrf_network": str(script)}
    get_method("lama", **params).fit(data, tmp_path / "m", seed=0, device="cpu", threads=1)
    record = json.loads((tmp_path / "m" / MODEL_JSON).read_text())
    assert record["perceptual_network"]["kind"] == "hrf"
    assert record["perceptual_network"]["file"] == str(script)
    assert record["loss_terms"]["hrf_perceptual"] == 30.0
    assert record["extra_loss_terms"] == {}
    assert record["final_losses"]["perc"] > 0


def test_pretrained_inputs_and_bad_settings():
    lama = get_method("lama").__class__
    assert "lama" in learned_methods()
    assert lama.pretrained_inputs({}) == ["resources/pretrained/vgg16_imagenet.pt"]
    assert lama.pretrained_inputs({"vgg16_weights": "w/vgg.pt"}) == ["w/vgg.pt"]
    assert lama.pretrained_inputs({"perceptual": "none"}) == []
    assert lama.pretrained_inputs({"w_perc": 0}) == []
    assert lama.pretrained_inputs({"perceptual": "hrf", "hrf_network": "x.pt"}) == []
    for bad, key in [({"ngf": 0}, "ngf"), ({"n_downsampling": 0}, "n_downsampling"),
                     ({"global_ratio": 1.0}, "global_ratio"), ({"w_fm": -1}, "w_fm"),
                     ({"lr": 0}, "lr"), ({"perceptual": "resnet"}, "perceptual"),
                     ({"perceptual": "hrf"}, "hrf_network"), ({"hrf_network": "a"}, "hrf_network"),
                     ({"train_masks": []}, "train_masks")]:
        with pytest.raises(InpaintError, match=rf"methods\.lama\.{key}"):
            get_method("lama", **bad)


def test_a_missing_hrf_file_is_one_error(tmp_path, make_dataset):
    data = make_dataset(tmp_path)
    method = get_method("lama", **{**TINY, "perceptual": "hrf", "hrf_network": "nope.pt"})
    with pytest.raises(InpaintError, match=r"hrf_network: no such file"):
        method.fit(data, tmp_path / "m", seed=0, device="cpu", threads=1)
    assert not (tmp_path / "m").exists()
