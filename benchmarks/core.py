"""Benchmarks (not tests) of the project's own hot paths against their reference
twins, each pair measured side by side in this one process run:

1. metrics: batched PSNR/SSIM (inpaint.evaluation.scoring) vs skimage called per image,
   on 1,024 images of 32x32x3 (values must agree within 1e-5);
2. ST-LPIPS and LPIPS: one batched call vs one call per image;
3. training engine: engine.train() vs a bare PyTorch loop on the same model,
   data and steps (overhead %);
4. data loading: a prepared dataset's packed arrays vs decoding its PNGs;
5. Snakemake DAG build (`snakemake -n`) for 3 datasets x 5 mask sets x 9 methods.

    .venv/bin/python benchmarks/core.py            # prints a markdown table

Every row is best-of-3 wall time (time.perf_counter) on this machine.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ROWS: list[tuple[str, str, str, str]] = []


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def row(name: str, ours: float, theirs: float, what: str) -> None:
    ROWS.append((name, f"{ours:.3f} s", f"{theirs:.3f} s", f"{theirs / ours:.1f}x {what}"))


def bench_metrics(n: int = 1024) -> None:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    from inpaint.evaluation.scoring import score_images

    rng = np.random.default_rng(0)
    reals = (rng.random((n, 32, 32, 3)) * 255).astype(np.uint8)
    comps = np.clip(reals.astype(int) + rng.integers(-30, 31, reals.shape), 0, 255).astype(
        np.uint8)
    known = np.ones((n, 32, 32), bool)
    known[:, 8:24, 8:24] = False

    def loop():
        out = []
        for x, y in zip(reals, comps, strict=True):
            a, b = x / 255.0, y / 255.0
            out.append((peak_signal_noise_ratio(a, b, data_range=1),
                        structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
                                              use_sample_covariance=False, data_range=1,
                                              channel_axis=-1)))
        return np.array(out)

    ours = best(lambda: score_images(reals, comps, known))
    ref = best(loop)
    frame, expected = score_images(reals, comps, known), loop()
    err = max(np.abs(frame.psnr - expected[:, 0]).max(), np.abs(frame.ssim - expected[:, 1]).max())
    assert err < 1e-5, f"metrics disagree with skimage by {err}"
    row(f"metrics: batched PSNR+SSIM vs skimage per image ({n} x 32x32x3; max diff {err:.1e})",
        ours, ref, "faster")


def _perceptual(label: str, model, n: int, seed: int) -> None:
    """One (ST-)LPIPS model: a batched call (64 images) vs one call per image."""
    import torch

    from inpaint.evaluation.perceptual import lpips_scores

    rng = np.random.default_rng(seed)
    reals = (rng.random((n, 32, 32, 3)) * 255).astype(np.uint8)
    comps = reals[::-1].copy()
    ours = best(lambda: lpips_scores(model, reals, comps, batch_size=64))
    ref = best(lambda: [lpips_scores(model, reals[i:i + 1], comps[i:i + 1]) for i in range(n)])
    row(f"{label}: batched (64) vs per image ({n} x 32x32x3, {torch.get_num_threads()} "
        "threads)", ours, ref, "faster")


def bench_st_lpips(n: int = 256) -> None:
    from inpaint.evaluation.perceptual import load_st_lpips

    _perceptual("ST-LPIPS", load_st_lpips(), n, seed=1)


def bench_lpips(n: int = 256) -> None:
    """LPIPS (AlexNet v0.1) with the ImageNet backbone of `inpaint fetch-weights imagenet`
    (resources/pretrained/alexnet_imagenet.pt, or torchvision's cache)."""
    from inpaint.evaluation.perceptual import load_lpips

    _perceptual("LPIPS (AlexNet, ImageNet backbone)", load_lpips(), n, seed=3)


def bench_engine(steps: int = 400) -> None:
    import torch
    from torch import nn

    from inpaint.training import TrainConfig, TrainingSystem, train

    images = (np.random.default_rng(2).random((512, 32, 32, 3)) * 255).astype(np.uint8)

    def make_net():
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(32, 3, 3, padding=1))

    class Fill(TrainingSystem):
        loss_names = ("l1",)

        def __init__(self, rt):
            super().__init__(rt)
            self.net = make_net()
            self.modules = {"net": self.net}
            self.optimizers = {"adam": torch.optim.Adam(self.net.parameters(), 1e-3)}

        def train_step(self, batch, step):
            loss = (self.net(batch * 0.5) - batch).abs().mean()
            self.optimizers["adam"].zero_grad()
            self.runtime.scaler.backward(loss)
            self.runtime.scaler.step(self.optimizers["adam"])
            return {"l1": loss.item()}

        def sample(self, batch):
            return torch.cat([batch, self.net(batch)])

    def bare():
        torch.set_num_threads(1)
        net = make_net()
        opt = torch.optim.Adam(net.parameters(), 1e-3)
        data = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
        gen = torch.Generator().manual_seed(0)
        for _ in range(steps):
            batch = data[torch.randint(0, len(data), (32,), generator=gen)]
            loss = (net(batch * 0.5) - batch).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()

    def engine():
        with tempfile.TemporaryDirectory() as tmp:
            # logging, checkpoint and sample-grid intervals of the default config's methods
            train(Fill, images, tmp, TrainConfig(method="bench", steps=steps, batch_size=32,
                                                 threads=1, checkpoint_every=200, log_every=25,
                                                 sample_every=200, progress=False))

    ours, ref = best(engine), best(bare)
    ROWS.append((f"training engine vs bare PyTorch loop ({steps} steps, batch 32, 1 thread; "
                 "engine: log every 25, checkpoint + sample grid every 200, loss curve)",
                 f"{ours:.3f} s", f"{ref:.3f} s",
                 f"{100 * (ours - ref) / ref:+.1f}% overhead"))


def bench_loading() -> None:
    from inpaint.data.store import load_split
    from inpaint.io import read_image

    data = ROOT / "results" / "data" / "faces"
    if not (data / "test.npz").exists():
        ROWS.append(("data loading", "-", "-", "skipped: run the default workflow first"))
        return
    ids, _ = load_split(data, "test")
    pngs = [data / "test" / f"{i}.png" for i in ids]
    ours = best(lambda: load_split(data, "test"))
    ref = best(lambda: np.stack([read_image(p) for p in pngs]))
    row(f"data loading: packed test split vs decoding its {len(pngs)} PNGs", ours, ref,
        "faster")


def bench_dag() -> None:
    import yaml

    methods = {m: {} for m in ["biharmonic", "telea", "navier_stokes", "yeh_dcgan",
                               "yeh_dcgan_raw", "context_encoder", "glcic", "pconv"]}
    methods["example_mean_fill"] = {"external": True}
    config = {
        "datasets": {f"d{i}": {"kind": "fonts", "size": 32} for i in range(3)},
        "masks": {"center": {"kind": "center"}, "box": {"kind": "box"},
                  "irregular": {"kind": "irregular"}, "pixels": {"kind": "pixels"},
                  "half": {"kind": "center", "scale": 0.7}},
        "methods": methods,
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        cmd = [sys.executable, "-m", "snakemake", "-n", "-q", "--snakefile",
               str(ROOT / "Snakefile"), "--directory", tmp, "--configfile", str(path)]

        def run():
            subprocess.run(cmd, check=True, capture_output=True)

        seconds = best(run)
    ROWS.append(("Snakemake DAG build (snakemake -n), 3 datasets x 5 mask sets x 9 methods",
                 f"{seconds:.2f} s", "-", "target <= 5 s"))


def main() -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    for bench in (bench_metrics, bench_st_lpips, bench_lpips, bench_engine, bench_loading,
                  bench_dag):
        bench()
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}")
    print()
    print("| benchmark | ours | reference | ratio |")
    print("|:--|--:|--:|--:|")
    for name, ours, ref, ratio in ROWS:
        print(f"| {name} | {ours} | {ref} | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
