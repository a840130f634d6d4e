"""The training engine with toy systems on 16x16 images (CPU, seconds)."""

from __future__ import annotations

import csv
import json
import os
import random
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

from inpaint.errors import InpaintError
from inpaint.training import (
    ImageSampler,
    Runtime,
    Scaler,
    TrainConfig,
    TrainingSystem,
    choose_amp,
    configure_threads,
    load_checkpoint,
    load_weights,
    resolve_device,
    train,
)
from inpaint.training import checkpoint as checkpoint_module
from inpaint.training.seeding import capture_rng, restore_rng

SIZE = 16


def random_holes(batch: torch.Tensor, side: int) -> torch.Tensor:
    """Known-pixel masks (B, 1, H, W) with one random side x side hole each (global torch RNG)."""
    n, _, h, w = batch.shape
    known = torch.ones(n, 1, h, w, device=batch.device)
    tops = torch.randint(0, h - side + 1, (n,)).tolist()
    lefts = torch.randint(0, w - side + 1, (n,)).tolist()
    for i, (top, left) in enumerate(zip(tops, lefts, strict=True)):
        known[i, :, top:top + side, left:left + side] = 0
    return known


class FillSystem(TrainingSystem):
    """A 2-layer conv net that learns to fill square holes with an L1 loss on the hole."""

    loss_names = ("l1",)

    def __init__(self, runtime: Runtime, channels: int = 1, nan_at: int | None = None) -> None:
        super().__init__(runtime)
        self.net = nn.Sequential(nn.Conv2d(channels + 1, 16, 5, padding=2), nn.ReLU(),
                                 nn.Conv2d(16, channels, 5, padding=2)).to(self.device)
        self.modules = {"net": self.net}
        self.optimizers = {"adam": torch.optim.Adam(self.net.parameters(), lr=1e-2)}
        self.nan_at = nan_at

    def fill(self, batch: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        with self.runtime.autocast():
            return self.net(torch.cat([batch * known, known], 1)).float()

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        known = random_holes(batch, 6)
        loss = ((self.fill(batch, known) - batch).abs() * (1 - known)).sum() / (1 - known).sum()
        if self.nan_at is not None and step >= self.nan_at:
            loss = loss * float("nan")
        opt = self.optimizers["adam"]
        opt.zero_grad(set_to_none=True)
        self.runtime.scaler.backward(loss)
        self.runtime.scaler.step(opt)
        return {"l1": loss.item()}

    def sample(self, batch: torch.Tensor) -> torch.Tensor:
        known = random_holes(batch, 6)
        out = known * batch + (1 - known) * self.fill(batch, known)
        return torch.cat([batch, batch * known, out])


class TinyGAN(TrainingSystem):
    """Generator + BatchNorm discriminator, two optimisers, an LR schedule and two phases
    (GLCIC-like: generator alone, then joint), drawing from torch, numpy and python RNGs."""

    value_range = (-1.0, 1.0)
    loss_names = ("d", "g_adv", "g_l1")

    def __init__(self, runtime: Runtime, channels: int = 1, warmup: int = 4) -> None:
        super().__init__(runtime)
        self.g = nn.Sequential(nn.Conv2d(channels + 2, 8, 3, padding=1), nn.BatchNorm2d(8),
                               nn.ReLU(), nn.Conv2d(8, channels, 3, padding=1),
                               nn.Tanh()).to(self.device)
        self.d = nn.Sequential(nn.Conv2d(channels, 8, 4, stride=2, padding=1), nn.BatchNorm2d(8),
                               nn.LeakyReLU(0.2), nn.Flatten(), nn.Dropout(0.2),
                               nn.LazyLinear(1)).to(self.device)
        self.d(torch.zeros(1, channels, SIZE, SIZE, device=self.device))  # materialise LazyLinear
        self.modules = {"generator": self.g, "discriminator": self.d}
        self.optimizers = {"g": torch.optim.Adam(self.g.parameters(), 2e-3, betas=(0.5, 0.999)),
                           "d": torch.optim.Adam(self.d.parameters(), 2e-3, betas=(0.5, 0.999))}
        self.schedulers = {"g": torch.optim.lr_scheduler.StepLR(self.optimizers["g"], 5, 0.5)}
        self.warmup = warmup

    def phase(self, step: int) -> str:
        return "generator" if step <= self.warmup else "joint"

    def complete(self, batch: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        noise = torch.randn_like(known)
        return self.g(torch.cat([batch * known, known, noise], 1))

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        side = int(np.random.randint(4, 8)) if random.random() < 0.5 else 6  # noqa: NPY002
        known = random_holes(batch, side)
        fake = self.complete(batch, known)
        l1 = (fake - batch).abs().mean()
        opt_g, opt_d = self.optimizers["g"], self.optimizers["d"]
        losses = {"g_l1": l1.item()}
        if self.phase(step) == "joint":
            real_logit, fake_logit = self.d(batch), self.d(fake.detach())
            bce = F.binary_cross_entropy_with_logits
            d_loss = (bce(real_logit, torch.ones_like(real_logit))
                      + bce(fake_logit, torch.zeros_like(fake_logit)))
            opt_d.zero_grad(set_to_none=True)
            self.runtime.scaler.backward(d_loss)
            self.runtime.scaler.step(opt_d)
            adv_logit = self.d(fake)
            adv = bce(adv_logit, torch.ones_like(adv_logit))
            l1 = l1 + 0.01 * adv
            losses.update(d=d_loss.item(), g_adv=adv.item())
        opt_g.zero_grad(set_to_none=True)
        self.runtime.scaler.backward(l1)
        self.runtime.scaler.step(opt_g)
        self.schedulers["g"].step()
        return losses

    def sample(self, batch: torch.Tensor) -> torch.Tensor:
        known = random_holes(batch, 6)
        return torch.cat([batch, batch * known, self.complete(batch, known)])


class Interrupted(Exception):
    pass


def stop_at(step: int):
    def callback(current: int, losses: dict[str, float]) -> None:
        if current == step:
            raise Interrupted(step)
    return callback


def config(**overrides) -> TrainConfig:
    base = {"method": "toy", "steps": 20, "batch_size": 8, "seed": 3, "device": "cpu",
            "threads": 1, "checkpoint_every": 8, "log_every": 3, "sample_every": 0,
            "n_samples": 4, "progress": False, "flip": True}
    return TrainConfig(**{**base, **overrides})


def read_log(path: Path, drop_seconds: bool = True) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if drop_seconds:
            for column in ("seconds", "images_per_s", "peak_gpu_mb"):
                row.pop(column)
    return rows


def assert_same_state(a, b) -> None:
    if torch.is_tensor(a):
        assert torch.is_tensor(b)
        assert torch.equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same_state(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same_state(x, y)
    else:
        assert a == b


def test_tiny_model_learns_to_fill_holes(tmp_path, smooth_images):
    result = train(FillSystem, smooth_images(24, 1), tmp_path, config(steps=60, log_every=1))
    l1 = [float(row["l1"]) for row in read_log(tmp_path / "train_log.csv")]
    assert len(l1) == 60
    assert np.mean(l1[-10:]) < 0.4 * np.mean(l1[:3])
    assert result.losses["l1"] == pytest.approx(l1[-1])


def test_resume_gives_identical_weights_and_log(tmp_path, smooth_images):
    images = smooth_images(24, 1)
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    train(TinyGAN, images, whole, config())
    with pytest.raises(Interrupted):
        train(TinyGAN, images, cut, config(), callback=stop_at(18))
    assert load_checkpoint(cut / "last.pt")["meta"]["step"] == 16
    assert read_log(cut / "train_log.csv")[-1]["step"] == "18"  # written after the checkpoint
    result = train(TinyGAN, images, cut, config())
    assert result.resumed_from == 16
    a, b = load_checkpoint(whole / "last.pt"), load_checkpoint(cut / "last.pt")
    assert a["meta"]["step"] == b["meta"]["step"] == 20
    for key in ("modules", "optimizers", "schedulers", "rng", "log"):
        assert_same_state(a[key], b[key])
    log = read_log(whole / "train_log.csv")
    assert log == read_log(cut / "train_log.csv")
    assert [row["step"] for row in log] == ["3", "6", "9", "12", "15", "18", "20"]
    assert log[0]["phase"] == "generator"
    assert log[0]["d"] == ""
    assert log[-1]["phase"] == "joint"
    assert log[-1]["d"] != ""


def test_sample_grids_do_not_change_training(tmp_path, smooth_images):
    images = smooth_images(24, 1)
    train(TinyGAN, images, tmp_path / "plain", config(steps=10))
    train(TinyGAN, images, tmp_path / "sampled", config(steps=10, sample_every=3))
    assert_same_state(load_checkpoint(tmp_path / "plain" / "last.pt")["modules"],
                      load_checkpoint(tmp_path / "sampled" / "last.pt")["modules"])


def test_outputs_written(tmp_path, smooth_images):
    train(lambda rt: TinyGAN(rt, channels=3), smooth_images(24, 3), tmp_path,
          config(steps=10, sample_every=4, checkpoint_every=5, keep_checkpoints=True,
                 hparams={"width": 8}))
    grids = sorted(p.name for p in (tmp_path / "samples").iterdir())
    assert grids == ["step_000004.png", "step_000008.png", "step_000010.png"]
    with Image.open(tmp_path / "samples" / "step_000010.png") as grid:
        assert grid.size == (4 * (SIZE + 2) + 2, 3 * (SIZE + 2) + 2)  # rows: real/masked/output
    first = np.asarray(Image.open(tmp_path / "samples" / "step_000004.png"))
    again = np.asarray(Image.open(tmp_path / "samples" / "step_000008.png"))
    assert np.array_equal(first[: SIZE + 4], again[: SIZE + 4])  # same real images each grid
    assert Image.open(tmp_path / "loss_curve.png").format == "PNG"
    assert sorted(p.name for p in tmp_path.glob("*.pt")) == [
        "last.pt", "step_000005.pt", "step_000010.pt"]
    info = json.loads((tmp_path / "model.json").read_text())
    assert info["method"] == "toy"
    assert info["steps"] == 10
    assert info["device"] == "cpu"
    assert info["image_size"] == [SIZE, SIZE]
    assert info["channels"] == 3
    assert info["threads"] == 1
    assert info["amp"] == "off"
    assert info["torch"] == torch.__version__
    assert set(info["final_losses"]) == {"d", "g_adv", "g_l1"}
    assert info["wall_seconds"] > 0
    assert info["hparams"] == {"width": 8}
    assert not list(tmp_path.rglob("*.tmp*"))
    rows = read_log(tmp_path / "train_log.csv", drop_seconds=False)
    assert all(float(row["images_per_s"]) > 0 for row in rows)
    assert all(row["peak_gpu_mb"] == "" for row in rows)  # CPU: no GPU memory to report
    # load_weights gives the networks back for inference
    net = TinyGAN(Runtime(torch.device("cpu"), 1, 0, choose_amp(torch.device("cpu")),
                          Scaler(False)), channels=3)
    meta = load_weights(tmp_path / "last.pt", {"generator": net.g}, {"method": "toy"})
    assert meta["step"] == 10
    assert_same_state(net.g.state_dict(),
                      load_checkpoint(tmp_path / "last.pt")["modules"]["generator"])


def test_finished_run_is_not_retrained(tmp_path, smooth_images):
    images = smooth_images(24, 1)
    train(FillSystem, images, tmp_path, config(steps=6))
    before = (tmp_path / "last.pt").read_bytes()
    result = train(FillSystem, images, tmp_path, config(steps=6))
    assert result.resumed_from == 6
    assert (tmp_path / "last.pt").read_bytes() == before
    assert (tmp_path / "model.json").is_file()
    with pytest.raises(InpaintError, match="past steps=4"):
        train(FillSystem, images, tmp_path, config(steps=4))


def test_failed_save_keeps_previous_checkpoint(tmp_path, monkeypatch, smooth_images):
    real_save, calls = torch.save, []

    def flaky_save(obj, path):
        calls.append(path)
        if len(calls) == 2:
            Path(path).write_bytes(b"PK\x03\x04 half a checkpoint")
            raise OSError("disk full")
        real_save(obj, path)

    monkeypatch.setattr(checkpoint_module.torch, "save", flaky_save)
    with pytest.raises(OSError, match="disk full"):
        train(FillSystem, smooth_images(24, 1), tmp_path, config(steps=12, checkpoint_every=4))
    assert load_checkpoint(tmp_path / "last.pt")["meta"]["step"] == 4
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pt" or ".tmp" in p.name) \
        == ["last.pt"]


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_checkpoint_pickle_cannot_run_code(tmp_path, smooth_images):
    marker = tmp_path / "pwned"
    evil = tmp_path / "model" / "last.pt"
    evil.parent.mkdir()
    torch.save({"format": "inpaint-checkpoint/1", "meta": {}, "x": _Payload(marker)}, evil)
    with pytest.raises(InpaintError, match=r"weights_only") as info:
        load_checkpoint(evil)
    assert str(evil) in str(info.value)
    with pytest.raises(InpaintError, match=str(evil)):
        train(FillSystem, smooth_images(24, 1), evil.parent, config(steps=2))
    assert not marker.exists()
    # the payload is real: an unsafe load runs it
    check = tmp_path / "check.pt"
    torch.save(_Payload(tmp_path / "ran"), check)
    torch.load(check, weights_only=False).close()
    assert (tmp_path / "ran").exists()


def test_truncated_checkpoint_is_reported(tmp_path, smooth_images):
    train(FillSystem, smooth_images(24, 1), tmp_path, config(steps=4))
    path = tmp_path / "last.pt"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InpaintError, match=rf"{path}.*truncated or corrupt"):
        train(FillSystem, smooth_images(24, 1), tmp_path, config(steps=8))
    path.write_bytes(b"")
    with pytest.raises(InpaintError, match=str(path)):
        load_checkpoint(path)


def test_checkpoint_of_another_run_is_rejected(tmp_path, smooth_images):
    images = smooth_images(24, 1)
    train(FillSystem, images, tmp_path, config(steps=4))
    with pytest.raises(InpaintError, match=r"last\.pt.*method is 'toy', this run has 'other'"):
        train(FillSystem, images, tmp_path, config(steps=8, method="other"))
    with pytest.raises(InpaintError, match=r"image_size is \[16, 16\], this run has \[8, 8\]"):
        train(FillSystem, smooth_images(24, 1, size=8), tmp_path, config(steps=8))
    with pytest.raises(InpaintError, match="config_hash"):
        train(FillSystem, images, tmp_path, config(steps=8, hparams={"lr": 1}))
    with pytest.raises(InpaintError, match=r"channels is 1, this run has 3"):
        train(lambda rt: FillSystem(rt, channels=3), smooth_images(24, 3), tmp_path,
              config(steps=8))


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(tmp_path, smooth_images):
    log = tmp_path / "train_log.csv"
    with pytest.raises(InpaintError) as info:
        train(lambda rt: FillSystem(rt, nan_at=7), smooth_images(24, 1), tmp_path,
              config(steps=20, checkpoint_every=4))
    message = str(info.value)
    assert "loss l1 is nan at step 7" in message
    assert str(log) in message
    assert "step 4" in message
    ckpt = load_checkpoint(tmp_path / "last.pt")
    assert ckpt["meta"]["step"] == 4
    assert all(t.isfinite().all() for t in ckpt["modules"]["net"].values())
    assert read_log(log)[-1]["step"] == "7"
    assert read_log(log)[-1]["l1"] == "nan"
    assert not (tmp_path / "model.json").exists()


def test_cuda_requested_without_cuda(monkeypatch, tmp_path, smooth_images):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InpaintError, match="'cuda' was requested but CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(InpaintError, match="CUDA is not available"):
        train(FillSystem, smooth_images(24, 1), tmp_path, config(device="cuda"))
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(InpaintError, match="'tpu' is not one of"):
        resolve_device("tpu")


def test_cpu_path_never_calls_cuda(monkeypatch, tmp_path, smooth_images):
    def guard(name, real):
        def guarded(*args, **kwargs):
            caller = sys._getframe(1).f_globals.get("__name__", "")
            assert not caller.startswith("inpaint"), f"{caller} called torch.cuda.{name}"
            return real(*args, **kwargs)
        return guarded

    for name in ("is_available", "device_count", "get_rng_state_all", "manual_seed_all",
                 "set_rng_state_all", "is_bf16_supported", "get_device_name",
                 "max_memory_allocated"):
        monkeypatch.setattr(torch.cuda, name, guard(name, getattr(torch.cuda, name)))
    train(TinyGAN, smooth_images(24, 1), tmp_path / "a", config(steps=6, checkpoint_every=3,
                                                           sample_every=3))
    train(TinyGAN, smooth_images(24, 1), tmp_path / "a", config(steps=8))
    assert not torch.cuda.is_initialized()


def test_amp_policy():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    for mode in ("auto", "off", "fp16", "bf16"):
        assert not choose_amp(cpu, mode).enabled
    auto = choose_amp(cuda, "auto", bf16_supported=True)
    assert (auto.enabled, auto.dtype, auto.scale_loss, auto.name) == (
        True, torch.float16, True, "fp16")
    bf16 = choose_amp(cuda, "bf16", bf16_supported=True)
    assert (bf16.dtype, bf16.scale_loss, bf16.name) == (torch.bfloat16, False, "bf16")
    assert choose_amp(cuda, "off").name == "off"
    with pytest.raises(InpaintError, match="does not support bfloat16"):
        choose_amp(cuda, "bf16", bf16_supported=False)
    with pytest.raises(InpaintError, match="amp 'half'"):
        choose_amp(cpu, "half")


def _sgd_pair():
    torch.manual_seed(0)
    a = nn.Linear(3, 1)
    b = nn.Linear(3, 1)
    b.load_state_dict(a.state_dict())
    return (a, torch.optim.SGD(a.parameters(), lr=0.1)), (b, torch.optim.SGD(b.parameters(), 0.1))


def test_disabled_scaler_is_plain_backward_and_step():
    (a, opt_a), (b, opt_b) = _sgd_pair()
    x = torch.randn(4, 3)
    scaler = Scaler(False)
    scaler.backward(a(x).pow(2).mean())
    scaler.unscale(opt_a)
    scaler.step(opt_a)
    scaler.update()
    b(x).pow(2).mean().backward()
    opt_b.step()
    assert_same_state(a.state_dict(), b.state_dict())
    assert scaler.state_dict() == {}
    assert not scaler.enabled


def test_enabled_scaler_scales_and_skips_overflow():
    (a, opt_a), (b, opt_b) = _sgd_pair()
    x = torch.randn(4, 3)
    scaler = Scaler(True, "cpu")
    scaler.backward(a(x).pow(2).mean())
    assert a.weight.grad.abs().sum() > 1000 * a.weight.grad.abs().sum() / 65536  # scaled
    scaler.step(opt_a)
    scaler.update()
    b(x).pow(2).mean().backward()
    opt_b.step()
    for name, value in a.state_dict().items():
        assert torch.allclose(value, b.state_dict()[name])
    scale = scaler.state_dict()["scale"]
    before = {k: v.clone() for k, v in a.state_dict().items()}
    opt_a.zero_grad()
    scaler.backward(a(x).pow(2).mean())
    a.weight.grad[0, 0] = float("inf")
    scaler.step(opt_a)  # skipped
    scaler.update()
    assert_same_state(a.state_dict(), before)
    assert scaler.state_dict()["scale"] == scale / 2


def test_sampler_batches(smooth_images):
    images = smooth_images(10, 3)
    sampler = ImageSampler(images, 4, seed=1)
    batch = sampler.batch(1)
    assert batch.shape == (4, 3, SIZE, SIZE)
    assert batch.dtype == torch.float32
    assert batch.min() >= 0.0
    assert batch.max() <= 1.0
    assert torch.equal(batch, ImageSampler(images, 4, seed=1).batch(1))  # pure in (seed, step)
    assert not torch.equal(sampler.indices(1), ImageSampler(images, 4, seed=2).indices(1))
    walk = torch.cat([sampler.indices(s) for s in range(1, 6)])  # 20 draws = 2 epochs of 10
    assert sorted(walk[:10].tolist()) == sorted(walk[10:].tolist()) == list(range(10))
    expected = torch.from_numpy(images[sampler.indices(2).numpy()]).permute(0, 3, 1, 2) / 255.0
    assert torch.equal(sampler.batch(2), expected)
    signed = ImageSampler(images, 4, seed=1, value_range=(-1.0, 1.0)).batch(1)
    assert torch.allclose(signed, batch * 2 - 1)
    small = ImageSampler(images[:3], 8, seed=0).indices(1)  # batch larger than the data
    assert len(small) == 8
    assert set(small.tolist()) == {0, 1, 2}
    with pytest.raises(ValueError, match="uint8"):
        ImageSampler(images.astype(np.float32), 4)


def test_sampler_flips_only_when_asked():
    images = np.zeros((6, 4, 4, 1), dtype=np.uint8)
    images[:, :, 0] = 255  # ink on the left edge: a flip moves it right
    plain = ImageSampler(images, 6, seed=0)
    flipping = ImageSampler(images, 6, seed=0, flip=True)
    flipped = [int(flipping.batch(s)[:, 0, 0, -1].sum()) for s in range(1, 11)]
    assert all(plain.batch(s)[:, 0, :, 0].min() == 1.0 for s in range(1, 11))
    assert 10 < sum(flipped) < 50  # about half of 60


def test_configure_threads():
    configure_threads(1)
    assert torch.get_num_threads() == 1
    assert os.environ["OMP_NUM_THREADS"] == "1"
    with pytest.raises(InpaintError, match="threads"):
        configure_threads(0)


def test_rng_state_survives_a_weights_only_checkpoint(tmp_path):
    state = capture_rng()
    torch.save({"rng": state}, tmp_path / "rng.pt")
    expected = (random.random(), np.random.random(), torch.rand(3))  # noqa: NPY002
    torch.rand(5), random.random(), np.random.random()  # noqa: NPY002
    restore_rng(torch.load(tmp_path / "rng.pt", weights_only=True)["rng"])
    again = (random.random(), np.random.random(), torch.rand(3))  # noqa: NPY002
    assert expected[:2] == again[:2]
    assert torch.equal(expected[2], again[2])


def test_invalid_settings():
    with pytest.raises(InpaintError, match="steps must be an integer >= 1"):
        config(steps=0)
    with pytest.raises(InpaintError, match="log_every"):
        config(log_every=1.5)


def test_config_from_method_params():
    params = {"steps": 100, "batch_size": 16, "lr": 2e-4, "flip": True, "width": 32}
    cfg = TrainConfig.from_params("glcic", params, device="cpu", threads=2, steps=200)
    assert (cfg.steps, cfg.batch_size, cfg.flip, cfg.threads) == (200, 16, True, 2)
    assert cfg.hparams == {"lr": 2e-4, "width": 32}
    assert cfg.config_hash == TrainConfig.from_params("glcic", params).config_hash  # steps free
    assert cfg.config_hash != TrainConfig.from_params("glcic", {**params, "lr": 1e-3}).config_hash
    with pytest.raises(InpaintError, match=r"methods\.glcic: missing .* \['batch_size'\]"):
        TrainConfig.from_params("glcic", {"steps": 3})
    with pytest.raises(InpaintError, match="unknown training setting"):
        TrainConfig.from_params("glcic", params, gpus=2)

