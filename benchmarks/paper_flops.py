"""Training FLOPs of the paper configurations, counted on the CPU, and the GPU time they imply.

For every learned method of each config/paper/*.yaml this trains the real method
(``fit``, the same code the workflow runs) for one step per schedule phase on random
images of the config's size (batch 2, halved: batch norm needs two), under
``torch.utils.flop_counter.FlopCounterMode`` (it counts matrix multiplications and
convolutions, forward and backward; element-wise
work is left out, so the counts are lower bounds). FLOPs per phase step x batch_size x
the phase's steps = the training's FLOPs; yeh_dcgan adds its latent search (per image,
per search step, x restarts x test images x mask sets). GPU hours = FLOPs / rate, with
``--rate`` the sustained TFLOP/s assumed (default 25: fp16 AMP convolutions on an
A100-class GPU reach roughly 10-20% of its 312 TFLOP/s tensor peak in such networks).

    python benchmarks/paper_flops.py config/paper/*.yaml        # ~1-2 min, 1 thread

Needs no GPU and no data: the images are random, the VGG16 weights (pconv's
perceptual loss) random with torchvision's layout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import yaml
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inpaint.config import method_params  # noqa: E402
from inpaint.data.store import DatasetInfo, Split, save_dataset  # noqa: E402
from inpaint.methods import get_method, get_method_class  # noqa: E402


def toy_dataset(root: Path, size: int) -> Path:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4, size, size, 3), np.uint8)
    info = DatasetInfo(name="flops", kind="folder", label="flops", size=size, channels=3)

    def split(prefix, part):
        return Split([f"{prefix}{i}" for i in range(len(part))], part, ["random"] * len(part))

    out = root / f"data{size}"
    if not out.exists():
        save_dataset(out, info, {"train": split("a", images[:2]), "val": split("v", images[2:3]),
                                 "test": split("t", images[3:])})
    return out


def count(fn) -> int:
    mode = FlopCounterMode(display=False)
    with mode, contextlib.redirect_stderr(io.StringIO()):
        fn()
    return int(mode.get_total_flops())


def fit_flops(name: str, params: dict, data: Path, work: Path, **override) -> int:
    """FLOPs of one training step per image: a step at batch 2 (batch norm needs two),
    halved (``override`` picks the phase)."""
    p = {**params, **override, "batch_size": 2, "steps": 1, "sample_every": 0,
         "checkpoint_every": 0, "log_every": 1}
    method = get_method(name, **p)
    out = Path(tempfile.mkdtemp(dir=work))
    return count(lambda: method.fit(data, out, device="cpu", threads=1, progress=False)) // 2


def vgg_weights(work: Path) -> str:
    import torchvision

    path = work / "vgg16-random.pth"
    if not path.exists():
        state = {k: v for k, v in torchvision.models.vgg16().state_dict().items()
                 if k.startswith("features.")}
        torch.save(state, path)
    return str(path)


def training_flops(name: str, params: dict, size: int, work: Path) -> tuple[float, str]:
    """(total training FLOPs, how they were made up)."""
    data = toy_dataset(work, size)
    defaults = get_method(name, **params).params
    steps, batch = defaults["steps"], defaults["batch_size"]
    if name.startswith("glcic"):
        from inpaint.methods.glcic import phase_lengths

        tc, td = phase_lengths(steps, defaults["completion_steps"],
                               defaults["discriminator_steps"])
        c = fit_flops(name, params, data, work, completion_steps=1, discriminator_steps=0)
        d = fit_flops(name, params, data, work, completion_steps=0, discriminator_steps=1)
        j = fit_flops(name, params, data, work, completion_steps=0, discriminator_steps=0)
        total = batch * (c * tc + d * td + j * (steps - tc - td))
        return total, (f"{c / 1e9:.1f} / {d / 1e9:.1f} / {j / 1e9:.1f} GFLOP per image-step "
                       f"(completion / discriminator / joint) x batch {batch} x "
                       f"{tc} / {td} / {steps - tc - td} steps")
    override = {}
    if name.startswith("pconv"):
        override = {"finetune_steps": 0, "mask_pool": 0}
        if defaults["perceptual"] and defaults["vgg16_weights"] is None:
            override["vgg16_weights"] = vgg_weights(work)  # the loss as with real weights
    if name == "lama":  # FlopCounterMode cannot follow R1's double backward: left out
        override = {"gp_coef": 0}
        if defaults["perceptual"] == "vgg16" and defaults["vgg16_weights"] is None:
            override["vgg16_weights"] = vgg_weights(work)
    step = fit_flops(name, params, data, work, **override)
    return batch * step * steps, (f"{step / 1e9:.1f} GFLOP per image-step x batch {batch} x "
                                  f"{steps} steps"
                                  + (" (without R1's double backward)" if name == "lama"
                                     else ""))


def search_flops(params: dict, size: int, n_images: int) -> tuple[float, str]:
    """yeh_dcgan's latent search: FLOPs per image per search step x steps x restarts x n.

    One search step: G(z), D(G(z)) and the gradient of the loss with respect to z
    only (the networks' weights are frozen), as latent_search computes it.
    """
    from inpaint.methods.yeh_dcgan.network import Discriminator, Generator
    from inpaint.methods.yeh_dcgan.system import context_loss, prior_loss

    p = get_method("yeh_dcgan", **params).params
    g, d = Generator(p["nz"], size, 3, p["base"]).eval(), Discriminator(size, 3, p["base"]).eval()
    for net in (g, d):
        net.requires_grad_(False)
    target, weights = torch.zeros(1, 3, size, size), torch.ones(1, 1, size, size)

    def step():
        z = torch.zeros(1, p["nz"], requires_grad=True)
        out = g(z)
        loss = context_loss(out, target, weights) + p["lam"] * prior_loss(d(out))
        loss.sum().backward()

    per = count(step)
    total = per * p["search_steps"] * p["restarts"] * n_images
    return total, (f"search {per / 1e9:.2f} GFLOP per image-step x {p['search_steps']} steps "
                   f"x {p['restarts']} restarts x {n_images} completions (test images x mask sets)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--rate", type=float, default=25.0, help="sustained TFLOP/s assumed")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for path in args.configs:
            config = yaml.safe_load(Path(path).read_text())
            sizes = {d["size"] for d in config["datasets"].values()}
            for name in config["methods"]:
                if not get_method_class(name).learned or \
                        get_method_class(name).shares_model_with:
                    continue
                params = method_params(config, name)
                for size in sorted(sizes):
                    flops, how = training_flops(name, params, size, work)
                    lines = [how]
                    if name == "yeh_dcgan":
                        n = sum(d.get("n_test") or 0 for d in config["datasets"].values())
                        more, why = search_flops(params, size, n * len(config["masks"]))
                        flops += more
                        lines.append(why)
                    print(f"{Path(path).stem} {name} @{size}px: {flops / 1e15:.1f} PFLOP = "
                          f"{flops / (args.rate * 1e12) / 3600:.1f} GPU-hours at "
                          f"{args.rate:g} TFLOP/s", flush=True)
                    for line in lines:
                        print(f"    {line}", flush=True)


if __name__ == "__main__":
    main()
