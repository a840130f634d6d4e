"""pconv: partial convolutions, the U-Net, the paper's loss terms (by hand), fine-tuning
(phase switch, resume inside it), model.json loss record and table footnotes, and a tiny
train -> complete."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from inpaint.errors import InpaintError
from inpaint.methods import complete_batch, get_method
from inpaint.methods.pconv import PAPER_LOSS
from inpaint.methods.pconv.network import PartialConv2d, PConvUNet, unet_depth
from inpaint.pretrained.imagenet import torchvision_cache_path

SIZE = 16
TINY = {"steps": 4, "batch_size": 4, "base_channels": 4, "log_every": 1, "sample_every": 0,
        "checkpoint_every": 2, "mask_pool": 8}


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """No VGG16 weights (empty torch hub cache, a working directory without
    resources/pretrained/); tests/conftest.py puts torch's thread count back."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.chdir(tmp_path)


def brute_force(conv: PartialConv2d, x: torch.Tensor, mask: torch.Tensor):
    """The paper's formula, one output pixel at a time (mask broadcast to every channel)."""
    k, s, p = conv.kernel_size[0], conv.stride[0], conv.padding[0]
    mask = mask.expand_as(x)
    xp, mp = F.pad(x, (p, p, p, p)), F.pad(mask, (p, p, p, p))
    h_out = (x.shape[2] + 2 * p - k) // s + 1
    w_out = (x.shape[3] + 2 * p - k) // s + 1
    out = torch.zeros(x.shape[0], conv.out_channels, h_out, w_out, dtype=torch.float64)
    new = torch.zeros(x.shape[0], 1, h_out, w_out, dtype=torch.float64)
    w, b = conv.weight.double(), conv.bias.double()
    for n in range(x.shape[0]):
        for i in range(h_out):
            for j in range(w_out):
                xs = xp[n, :, i * s:i * s + k, j * s:j * s + k].double()
                ms = mp[n, :, i * s:i * s + k, j * s:j * s + k].double()
                seen = ms.sum()
                if seen > 0:
                    out[n, :, i, j] = (w * xs * ms).sum((1, 2, 3)) * ms.numel() / seen + b
                    new[n, 0, i, j] = 1
    return out, new


@pytest.mark.parametrize(("stride", "multi"), [(1, False), (2, False), (1, True), (2, True)])
def test_partial_conv_equals_brute_force(stride, multi):
    torch.manual_seed(stride + 2 * multi)
    conv = PartialConv2d(3, 4, 3, stride, 1)
    x = torch.randn(2, 3, 7, 8)
    mask = (torch.rand(2, 3 if multi else 1, 7, 8) > 0.6).float()
    mask[0, :, :4, :4] = 0  # a hole wider than the window: some outputs see nothing
    out, new = conv(x, mask)
    ref, ref_new = brute_force(conv, x, mask)
    assert torch.allclose(out.double(), ref, atol=1e-5)
    assert torch.equal(new.double(), ref_new)
    assert (new == 0).any()
    assert (new == 1).any()
    assert torch.all(out[new.expand_as(out) == 0] == 0)  # no bias where nothing was seen


def test_all_known_mask_is_an_ordinary_convolution():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 9, 9)
    ones = torch.ones(2, 1, 9, 9)
    valid = PartialConv2d(3, 5, 3, 1, 0)
    out, new = valid(x, ones)
    assert torch.allclose(out, F.conv2d(x, valid.weight, valid.bias), atol=1e-6)
    assert torch.all(new == 1)
    padded = PartialConv2d(3, 5, 3, 1, 1)  # zero padding is a hole: borders re-normalised
    out, new = padded(x, ones)
    plain = F.conv2d(x, padded.weight, padded.bias, padding=1)
    assert torch.allclose(out[..., 1:-1, 1:-1], plain[..., 1:-1, 1:-1], atol=1e-6)
    corner = (plain[..., 0, 0] - padded.bias) * 9 / 4 + padded.bias
    assert torch.allclose(out[..., 0, 0], corner, atol=1e-5)


def test_mask_update_and_multichannel_masks():
    conv = PartialConv2d(2, 3, 3, 1, 1)
    mask = torch.ones(1, 1, 8, 8)
    mask[..., 2:7, 2:7] = 0  # a 5x5 hole: only its centre 3x3 sees no known pixel
    _, new = conv(torch.randn(1, 2, 8, 8), mask)
    expected = torch.ones(1, 1, 8, 8)
    expected[..., 3:6, 3:6] = 0
    assert torch.equal(new, expected)
    x = torch.randn(1, 2, 8, 8)
    a, _ = conv(x, mask)
    b, _ = conv(x, mask.expand(-1, 2, -1, -1))  # the same mask per channel: same result
    assert torch.allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match="channels"):
        conv(x, torch.ones(1, 3, 8, 8))


def test_unet_depth_and_shapes():
    assert (unet_depth(16), unet_depth(32), unet_depth(48), unet_depth(512)) == (4, 5, 4, 8)
    with pytest.raises(ValueError, match="even"):
        unet_depth(15)
    image, known = torch.rand(2, 3, 32, 32), (torch.rand(2, 1, 32, 32) > 0.5).float()
    for partial in (True, False):
        net = PConvUNet(3, 5, 4, partial)
        out = net(image, known)
        assert out.shape == image.shape
        assert out.min() >= 0
        assert out.max() <= 1


def test_pconv_ignores_hole_pixel_values():
    torch.manual_seed(0)
    net = PConvUNet(1, 4, 4).eval()
    image, known = torch.rand(2, 1, 16, 16), torch.ones(2, 1, 16, 16)
    known[:, :, 4:12, 4:12] = 0
    other = image.clone()
    other[known.expand_as(image) == 0] = torch.rand(int((known == 0).sum()))
    assert torch.equal(net(image, known), net(other, known))


def test_losses_and_tv_region():
    from inpaint.methods.pconv.system import pconv_losses, tv_loss

    gt = torch.rand(2, 1, 8, 8)
    known = torch.ones(2, 1, 8, 8)
    known[:, :, 3:5, 3:5] = 0
    weights = {"valid": 1.0, "hole": 6.0, "tv": 0.1}
    terms = pconv_losses(gt.clone(), gt, known, weights)
    assert float(terms["valid"]) == 0
    assert float(terms["hole"]) == 0
    assert float(terms["loss"]) == pytest.approx(0.1 * float(terms["tv"]))
    far = gt.clone()
    far[:, :, 0, 0] += 1  # outside the dilated hole: no TV change
    assert float(tv_loss(far, 1 - known)) == pytest.approx(float(tv_loss(gt, 1 - known)))
    out = torch.rand(2, 1, 8, 8)
    terms = pconv_losses(out, gt, known, {"valid": 1.0, "hole": 6.0, "tv": 0.0})
    assert float(terms["loss"]) == pytest.approx(float(terms["valid"] + 6 * terms["hole"]))


def test_tv_by_hand():
    """L_tv over the 1-px dilation P of a one-pixel hole: pairs with both pixels in P."""
    from inpaint.methods.pconv.system import tv_loss

    comp = torch.arange(25, dtype=torch.float64).reshape(1, 1, 5, 5) ** 1.5
    hole = torch.zeros(1, 1, 5, 5, dtype=torch.float64)
    hole[0, 0, 1, 1] = 1  # P = rows 0-2 x columns 0-2
    x = comp[0, 0].numpy()
    total = sum(abs(x[i, j + 1] - x[i, j]) for i in range(3) for j in range(2))
    total += sum(abs(x[i + 1, j] - x[i, j]) for i in range(2) for j in range(3))
    assert float(tv_loss(comp, hole)) == pytest.approx(total / 25)


def _gram_by_hand(f: np.ndarray) -> np.ndarray:
    c, h, w = f.shape
    out = np.zeros((c, c))
    for i in range(c):
        for j in range(c):
            out[i, j] = sum(f[i, y, x] * f[j, y, x] for y in range(h) for x in range(w))
    return out / (c * h * w)


def test_perceptual_and_style_by_hand():
    """L_perc and L_style_{out,comp} from given features against loops over the paper's
    sums: size-averaged L1 of features (C H W) and of K_p-normalised Gram matrices (C^2)."""
    from inpaint.methods.pconv.system import feature_losses, gram

    rng = np.random.default_rng(0)
    b, shapes = 2, [(3, 4, 4), (5, 2, 3)]
    outs = [rng.random((b, *s)) for s in shapes]
    comps = [rng.random((b, *s)) for s in shapes]
    gts = [rng.random((b, *s)) for s in shapes]
    assert np.allclose(gram(torch.from_numpy(outs[1])).numpy(),
                       np.stack([_gram_by_hand(f) for f in outs[1]]))
    feats = [torch.from_numpy(np.concatenate([o, c])) for o, c in zip(outs, comps, strict=True)]
    terms = feature_losses(feats, [torch.from_numpy(g) for g in gts])
    perc = style_out = style_comp = 0.0
    for o, c, g in zip(outs, comps, gts, strict=True):
        n = o[0].size
        for k in range(b):
            perc += (np.abs(o[k] - g[k]).sum() + np.abs(c[k] - g[k]).sum()) / n / b
            ref = _gram_by_hand(g[k])
            style_out += np.abs(_gram_by_hand(o[k]) - ref).sum() / ref.size / b
            style_comp += np.abs(_gram_by_hand(c[k]) - ref).sum() / ref.size / b
    assert float(terms["perc"]) == pytest.approx(perc, rel=1e-6)
    assert float(terms["style_out"]) == pytest.approx(style_out, rel=1e-6)
    assert float(terms["style_comp"]) == pytest.approx(style_comp, rel=1e-6)


def stand_in_vgg():
    """VGG16 pool1-3 with torchvision's random initialisation (the interface of
    inpaint.pretrained.vgg, no ImageNet weights: checks code paths, never quality)."""
    from torchvision.models import vgg16

    from inpaint.pretrained.vgg import VGG16Features

    torch.manual_seed(0)
    return VGG16Features(vgg16(weights=None).features)


@pytest.mark.parametrize("channels", [1, 3])
def test_vgg_terms_match_separate_passes_and_reach_the_unet(channels):
    """The two-pass computation ([out; comp] with gradients, gt without) equals three
    separate passes, and its gradient reaches the output but not the ground truth."""
    from inpaint.methods.pconv.system import feature_losses, pconv_losses

    vgg = stand_in_vgg()
    gt = torch.rand(2, channels, 16, 16)
    known = torch.ones(2, 1, 16, 16)
    known[..., 4:12, 5:11] = 0
    out = torch.rand(2, channels, 16, 16, requires_grad=True)
    terms = pconv_losses(out, gt, known, dict(PAPER_LOSS), vgg)
    comp = known * gt + (1 - known) * out
    separate = feature_losses([torch.cat([a, b]) for a, b in
                               zip(vgg(out), vgg(comp), strict=True)], vgg(gt))
    value = {k: float(v.detach()) for k, v in terms.items()}
    for name in ("perc", "style_out", "style_comp"):
        assert value[name] == pytest.approx(float(separate[name].detach()), rel=1e-5)
        assert value[name] > 0
    assert value["loss"] == pytest.approx(sum(PAPER_LOSS[k] * value[k] for k in PAPER_LOSS))
    terms["loss"].backward()
    assert out.grad is not None
    assert out.grad.abs().sum() > 0
    assert all(p.grad is None for p in vgg.parameters())


@pytest.mark.parametrize("name", ["pconv", "pconv_plainconv"])
def test_tiny_train_then_complete(tmp_path, name, capfd, smooth_images, make_dataset):
    data = make_dataset(tmp_path)
    method = get_method(name, **TINY)
    method.fit(data, tmp_path / "model", seed=0, device="cpu", threads=1)
    err = capfd.readouterr().err
    assert err.count("perceptual and style losses off") == 1
    record = json.loads((tmp_path / "model" / "model.json").read_text())
    assert record["method"] == name
    assert record["flip"] is True
    assert record["perceptual_loss"].startswith("off: no VGG16 ImageNet weights")
    assert "perc" not in record["final_losses"]
    assert record["loss_terms"] == {"valid": 1.0, "hole": 6.0, "tv": 0.1}
    assert record["paper_loss_terms"] == PAPER_LOSS
    assert record["vgg16"] is None
    assert record["finetune"]["steps"] == 1  # the last third of 4 steps
    assert record["final_phase"] == "finetune"

    loaded = get_method(name, **TINY)
    loaded.load(tmp_path / "model", device="cpu")
    images = smooth_images(3, 3, SIZE, 9)
    known = np.ones((3, SIZE, SIZE), dtype=bool)
    known[:, 4:10, 3:12] = False
    done = complete_batch(loaded, images, known)
    assert np.array_equal(done[known], images[known])  # hole-free regions untouched
    assert not np.array_equal(done[~known], images[~known])
    with pytest.raises(InpaintError, match="16x16x3"):
        loaded.predict(np.zeros((1, 8, 8, 3), np.float32), np.ones((1, 8, 8), bool))
    other = get_method("pconv_plainconv" if name == "pconv" else "pconv", **TINY)
    with pytest.raises(InpaintError, match="method"):
        other.load(tmp_path / "model", device="cpu")


def test_resume_is_exact_and_characters_never_flip(tmp_path, make_dataset):
    data = make_dataset(tmp_path, kind="fonts", channels=1)
    tiny = {**TINY, "mask_pool": 0}  # fresh training masks every step (the pool is seeded)
    get_method("pconv", **tiny).fit(data, tmp_path / "a", seed=3, device="cpu", threads=1)
    get_method("pconv", **{**tiny, "steps": 2}).fit(data, tmp_path / "b", seed=3, device="cpu",
                                                    threads=1)
    get_method("pconv", **tiny).fit(data, tmp_path / "b", seed=3, device="cpu", threads=1)
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["modules"]["unet"]
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["modules"]["unet"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert json.loads((tmp_path / "a" / "model.json").read_text())["flip"] is False


def test_finetune_freezes_encoder_batch_norm(smooth_images):
    from inpaint.methods.pconv.system import PConvSystem
    from inpaint.training import make_runtime

    hp = dict(get_method("pconv", steps=4, finetune_steps=2, base_channels=4,
                         mask_pool=8).params)
    system = PConvSystem(make_runtime("cpu", 1), channels=1, size=SIZE, partial=True, hp=hp,
                         steps=4, fill=[0.5], vgg_path=None, perceptual_status="off: test")
    assert [system.phase(s) for s in (1, 2, 3, 4)] == ["train", "train", "finetune", "finetune"]
    holes = system.masks(32, 5).eq(0).sum((1, 2, 3))  # pool masks moved around, not resized
    assert set(holes.tolist()) <= set((~system.pool).sum((1, 2)).tolist())
    assert not torch.equal(system.masks(4, 1), system.masks(4, 2))
    batch = torch.from_numpy(smooth_images(4, 1, SIZE, 0)).permute(0, 3, 1, 2).float() / 255
    system.train_step(batch, 1)
    norms = system.net.encoder_norms()
    before = [{k: v.clone() for k, v in n.state_dict().items()} for n in norms]
    decoder = [p.clone() for p in system.net.decoder.parameters()]
    system.train_step(batch, 3)
    assert system.optimizers["adam"].param_groups[0]["lr"] == 5e-5
    for norm, saved in zip(norms, before, strict=True):
        assert not norm.training
        assert all(torch.equal(v, saved[k]) for k, v in norm.state_dict().items())
    assert any(not torch.equal(p, q) for p, q in zip(system.net.decoder.parameters(), decoder,
                                                     strict=True))
    system.train_step(batch, 2)  # back in the first phase: learning again
    assert norms[0].training
    assert system.optimizers["adam"].param_groups[0]["lr"] == 2e-4
    default = PConvSystem(make_runtime("cpu", 1), channels=1, size=SIZE, partial=True,
                          hp={**hp, "finetune_steps": None}, steps=9, fill=[0.5], vgg_path=None,
                          perceptual_status="off: test")
    assert [default.phase(s) for s in range(1, 10)] == ["train"] * 6 + ["finetune"] * 3


def test_resume_inside_finetuning_is_exact(tmp_path, monkeypatch, make_dataset):
    """A run killed after a checkpoint inside the fine-tuning phase resumes there (low lr,
    frozen encoder batch norm) and ends bit-identical to an uninterrupted run."""
    import inpaint.training as training

    data = make_dataset(tmp_path)
    tiny = {**TINY, "steps": 6, "finetune_steps": 3, "mask_pool": 0}  # fine-tunes steps 4-6
    get_method("pconv", **tiny).fit(data, tmp_path / "a", seed=1, device="cpu", threads=1)

    class Killed(Exception):
        pass

    def stop_at_5(step, losses):
        if step == 5:
            raise Killed

    real_train = training.train
    monkeypatch.setattr(training, "train",
                        lambda *a, **k: real_train(*a, **k, callback=stop_at_5))
    with pytest.raises(Killed):
        get_method("pconv", **tiny).fit(data, tmp_path / "b", seed=1, device="cpu", threads=1)
    ckpt = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    assert (ckpt["meta"]["step"], ckpt["meta"]["phase"]) == (4, "finetune")
    monkeypatch.setattr(training, "train", real_train)
    get_method("pconv", **tiny).fit(data, tmp_path / "b", seed=1, device="cpu", threads=1)
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["modules"]["unet"]
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["modules"]["unet"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    norm = "encoder.1.norm."  # frozen from step 4: the checkpoint's statistics are kept
    assert all(torch.equal(ckpt["modules"]["unet"][k], b[k]) for k in b if k.startswith(norm))
    record = json.loads((tmp_path / "b" / "model.json").read_text())
    assert record["resumed_from"] == 4
    assert record["finetune"] == {"steps": 3, "first_step": 4, "lr": 5e-5, "lr_before": 2e-4,
                                  "encoder_batch_norm": "frozen"}


def test_vgg_weight_file_turns_on_perceptual_and_style(tmp_path, monkeypatch, make_dataset):
    from torchvision.models import vgg16

    torch.manual_seed(0)  # randomly initialised VGG16: checks the code path only, not quality
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "vgg_home"))
    cache = torchvision_cache_path("vgg16")  # found like torchvision's own file
    cache.parent.mkdir(parents=True)
    features = vgg16(weights=None).features.state_dict()  # the classifier is not read
    torch.save({f"features.{k}": v for k, v in features.items()}, cache)
    data = make_dataset(tmp_path)
    get_method("pconv", **{**TINY, "steps": 2}).fit(data, tmp_path / "m", seed=0, device="cpu",
                                                   threads=1)
    record = json.loads((tmp_path / "m" / "model.json").read_text())
    assert record["perceptual_loss"].startswith("on: VGG16 ImageNet weights")
    assert record["loss_terms"] == PAPER_LOSS
    assert record["loss_terms_reason"] is None
    assert record["vgg16"]["file"] == str(cache)
    assert len(record["vgg16"]["sha256"]) == 64
    losses = record["final_losses"]
    for name in ("perc", "style_out", "style_comp"):
        assert losses[name] > 0
    assert losses["loss"] == pytest.approx(sum(PAPER_LOSS[k] * losses[k] for k in PAPER_LOSS))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    resumed = get_method("pconv", **{**TINY, "steps": 3})
    with pytest.raises(InpaintError, match="perceptual_loss"):  # resume without the weights
        resumed.fit(data, tmp_path / "m", seed=0, device="cpu", threads=1)


def test_pretrained_inputs_name_the_vgg_file(tmp_path):
    pconv = get_method("pconv").__class__
    assert pconv.pretrained_inputs({}) == ["resources/pretrained/vgg16_imagenet.pt"]
    assert pconv.pretrained_inputs({"vgg16_weights": "w/vgg.pt"}) == ["w/vgg.pt"]
    assert pconv.pretrained_inputs({"perceptual": False}) == []
    assert pconv.pretrained_inputs({"w_perc": 0, "w_style": 0}) == []
    assert get_method("telea").pretrained_inputs({}) == []


def test_bad_settings_are_errors(tmp_path, make_dataset):
    with pytest.raises(TypeError, match="kernel"):
        get_method("pconv", kernel=3)
    with pytest.raises(InpaintError, match="finetune_steps"):
        get_method("pconv", steps=10, finetune_steps=10)
    with pytest.raises(InpaintError, match="w_style"):
        get_method("pconv", w_style=-1)
    with pytest.raises(InpaintError, match=r"train_masks\[0\]: unknown key\(s\) \['width'\]"):
        get_method("pconv", train_masks=[{"kind": "irregular", "width": 3}])
    data = make_dataset(tmp_path)
    method = get_method("pconv", **TINY, vgg16_weights=str(tmp_path / "nowhere.pth"))
    with pytest.raises(InpaintError, match=r"nowhere\.pth"):
        method.fit(data, tmp_path / "m", seed=0, device="cpu", threads=1)


def test_kernels_and_depth_settings():
    from inpaint.methods.pconv.network import build_unet

    hp = {"depth": None, "kernels": [3, 3, 3], "base_channels": 4}
    net = build_unet(hp, 1, SIZE, True)
    assert net.depth == 3
    assert [b.conv.kernel_size for b in net.encoder] == [(3, 3)] * 3
    assert build_unet({**hp, "kernels": None}, 1, SIZE, True).depth == unet_depth(SIZE)
    with pytest.raises(InpaintError, match="odd"):
        build_unet({**hp, "kernels": [4, 3]}, 1, SIZE, True)
    with pytest.raises(InpaintError, match="divisible"):
        build_unet({**hp, "kernels": None, "depth": 5}, 1, SIZE, True)
