"""Training and latent-search throughput of the paper configurations on a CUDA GPU.

For every learned method that trains a model of its own in each config/paper/*.yaml, at
each of the config's dataset sizes, this builds the method's training system exactly as
the workflow's training does (benchmarks/efficiency.py ``build_trainer``: config block,
runtime with AMP ``auto`` = fp16 autocast + loss scaling on CUDA, channels-last, seeded
sampler) on random images, runs ``--warmup`` steps, then times ``--steps`` steps of every
schedule phase (``train_step`` + ``scaler.update()``, CUDA synchronised) and reads
``torch.cuda.max_memory_allocated``. For yeh_dcgan it also times the batched latent
search (``inpaint.methods.yeh_dcgan.system.latent_search``, fp32 as completion runs it)
on ``--search-batch`` images with the config's restarts, ``--search-steps`` steps.

    python benchmarks/gpu.py                        # all paper configs, ~5-10 min on a GPU
    python benchmarks/gpu.py config/paper/yeh2017_celeba64.yaml --steps 5

Writes results/benchmarks/gpu.md and gpu.csv (``--out``) and prints the table. On a
machine without CUDA it says so and exits 0 (``--device cpu`` runs the same code on the
CPU, for tests at toy size).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from efficiency import build_trainer, default_methods, random_dataset  # noqa: E402

from inpaint.config import method_params  # noqa: E402
from inpaint.io import write_text  # noqa: E402
from inpaint.methods import get_method  # noqa: E402

COLUMNS = ["config", "method", "size", "phase", "batch", "images_per_s", "s_per_step",
           "peak_mem_mb", "amp", "device_name"]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_mb(device: torch.device) -> float:
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" \
        else float("nan")


def device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def training_rows(config_name: str, name: str, params: dict, data: Path, device: str,
                  steps: int, warmup: int) -> list[dict]:
    """One row per schedule phase: images/s and peak memory of the real training step."""
    trainer = build_trainer(name, params, data, device=device, amp="auto")
    dev, size = trainer.system.device, trainer.sampler._data.shape[-1]
    rows = []
    for phase, phase_steps in trainer.phases().items():
        reset_peak(dev)
        for i in range(warmup):
            trainer.step(phase_steps[i % len(phase_steps)])
        synchronize(dev)
        start = time.perf_counter()
        for i in range(steps):
            trainer.step(phase_steps[(warmup + i) % len(phase_steps)])
        synchronize(dev)
        seconds = (time.perf_counter() - start) / steps
        rows.append({"config": config_name, "method": name, "size": size, "phase": phase,
                     "batch": trainer.batch_size,
                     "images_per_s": trainer.batch_size / seconds, "s_per_step": seconds,
                     "peak_mem_mb": peak_mb(dev), "amp": trainer.system.runtime.amp.name,
                     "device_name": device_name(dev)})
    del trainer
    return rows


def search_row(config_name: str, params: dict, size: int, channels: int, device: str,
               batch: int, steps: int) -> dict:
    """yeh_dcgan's batched latent search on ``batch`` images (random networks and images):
    images/s = batch / seconds for ``steps`` search steps x the config's restarts."""
    from inpaint.methods.yeh_dcgan.network import Discriminator, Generator
    from inpaint.methods.yeh_dcgan.system import latent_search
    from inpaint.training import resolve_device

    p = get_method("yeh_dcgan", **params).params
    dev = resolve_device(device)
    torch.manual_seed(0)
    g = Generator(p["nz"], size, channels, p["base"]).to(dev).eval().requires_grad_(False)
    d = Discriminator(size, channels, p["base"]).to(dev).eval().requires_grad_(False)
    target = torch.rand(batch, channels, size, size, device=dev) * 2 - 1
    weights = torch.rand(batch, 1, size, size, device=dev)
    kwargs = {"restarts": p["restarts"], "lr": p["search_lr"], "lam": p["lam"]}
    latent_search(g, d, target, weights, steps=2, **kwargs)  # warm-up
    reset_peak(dev)
    synchronize(dev)
    start = time.perf_counter()
    latent_search(g, d, target, weights, steps=steps, **kwargs)
    synchronize(dev)
    seconds = time.perf_counter() - start
    return {"config": config_name, "method": "yeh_dcgan (latent search)", "size": size,
            "phase": f"{steps} steps x {p['restarts']} restarts", "batch": batch,
            "images_per_s": batch / seconds, "s_per_step": seconds / steps,
            "peak_mem_mb": peak_mb(dev), "amp": "off", "device_name": device_name(dev)}


def config_rows(path: Path, work: Path, device: str, steps: int, warmup: int,
                search_batch: int, search_steps: int, methods: list[str] | None = None
                ) -> list[dict]:
    config = yaml.safe_load(path.read_text())
    rows = []
    shapes = sorted({(int(d["size"]), int(d.get("channels", 3)))
                     for d in config["datasets"].values()})
    for name in default_methods(config):
        if methods and name not in methods:
            continue
        params = method_params(config, name)
        for size, channels in shapes:
            data = random_dataset(work, size, channels, n_train=64)
            rows += training_rows(path.stem, name, params, data, device, steps, warmup)
            if name == "yeh_dcgan":
                rows.append(search_row(path.stem, params, size, channels, device,
                                       search_batch, search_steps))
            print(f"  {path.stem} {name} @{size}px done", file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.round({"images_per_s": 1, "s_per_step": 4, "peak_mem_mb": 0})


def write_tables(frame: pd.DataFrame, out: Path) -> None:
    write_text(out / "gpu.csv", frame.to_csv(index=False))
    write_text(out / "gpu.md", frame.to_markdown(index=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", type=Path,
                        default=sorted((ROOT / "config" / "paper").glob("*.yaml")))
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N, or cpu")
    parser.add_argument("--methods", nargs="*", help="default: every learned method")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per phase")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--search-batch", type=int, default=256)
    parser.add_argument("--search-steps", type=int, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"no CUDA device here (torch {torch.__version__}, CUDA build "
              f"{torch.version.cuda or 'none'}): nothing measured. Run this on a GPU machine.")
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.configs:
            rows += config_rows(path, Path(tmp), args.device, args.steps, args.warmup,
                                args.search_batch, args.search_steps, args.methods)
    frame = table(rows)
    write_tables(frame, args.out)
    print(frame.to_markdown(index=False))
    print(f"\nwritten: {args.out / 'gpu.md'}, {args.out / 'gpu.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
