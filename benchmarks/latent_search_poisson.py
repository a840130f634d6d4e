"""Benchmark (not a test) for yeh_dcgan, measured side by side in one run:

1. latent search: every image of a batch optimised at once vs a per-image loop
   (same images, steps and restarts; throughput in images x steps per second);
2. Poisson blending: the exact sparse solve (inpaint.poisson) vs 500 steps of
   gradient descent on the hole pixels, with per-channel Sobel gradients (Adam,
   as a public reproduction did) and with the 4-neighbour Laplacian (plain
   gradient descent on the exact objective). Residual = ||grad x - grad g|| over
   the 4-neighbour pairs touching the hole (the objective the sparse solve
   minimises), and the same with Sobel gradients on the hole, both summed over
   images.

    .venv/bin/python benchmarks/latent_search_poisson.py [--model results/models/faces/yeh_dcgan]

Without --model it uses a randomly initialised DCGAN and the guides are the
images blurred and shifted (timing does not depend on the weights).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from inpaint.data.store import load_split
from inpaint.masks import center_mask, pixels_mask
from inpaint.methods import get_method
from inpaint.methods.yeh_dcgan import importance_weights
from inpaint.methods.yeh_dcgan.network import Discriminator, Generator
from inpaint.methods.yeh_dcgan.system import latent_search, uniform_z
from inpaint.poisson import poisson_blend_batch

SOBEL = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8


def sobel(x: torch.Tensor) -> torch.Tensor:
    """Per-channel Sobel gradients (N, 2C, H, W), replicate-padded."""
    c = x.shape[1]
    kernel = torch.stack([SOBEL, SOBEL.T])[:, None].repeat(c, 1, 1, 1).to(x.dtype)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=c)


def pair_residual(x: np.ndarray, g: np.ndarray, known: np.ndarray) -> float:
    """sqrt of sum over 4-neighbour pairs touching a hole of ((x_p - x_q) - (g_p - g_q))^2."""
    total = 0.0
    for axis in (1, 2):
        dx, dg = np.diff(x, axis=axis), np.diff(g, axis=axis)
        hole = ~known
        touch = np.logical_or(np.delete(hole, 0, axis=axis), np.delete(hole, -1, axis=axis))
        total += float((((dx - dg) ** 2) * touch[..., None]).sum())
    return total ** 0.5


def sobel_residual(x: np.ndarray, g: np.ndarray, known: np.ndarray) -> float:
    to = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2))).double()  # noqa: E731
    diff = (sobel(to(x)) - sobel(to(g))) ** 2
    return float((diff * torch.from_numpy(~known)[:, None]).sum()) ** 0.5


def gradient_descent(y, g, known, steps=500, kind="sobel", lr=0.01):
    """x on the hole by ``steps`` of descent on ||grad x - grad g||^2, known pixels fixed."""
    to = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2))).double()  # noqa: E731
    y_t, g_t = to(y), to(g)
    hole = torch.from_numpy(~known)[:, None].double()
    x = (y_t * (1 - hole) + g_t * hole).clone()
    if kind == "sobel":
        free = x.clone().requires_grad_(True)
        opt = torch.optim.Adam([free], lr=lr)
        target = sobel(g_t)
        for _ in range(steps):
            cur = y_t * (1 - hole) + free * hole
            loss = ((sobel(cur) - target) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        x = (y_t * (1 - hole) + free.detach() * hole)
    else:  # descent on the 4-neighbour energy, step 1/4 of its gradient (a Jacobi sweep)
        c = x.shape[1]
        cross = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]).double()
        cross = cross[None, None].repeat(c, 1, 1, 1)
        count = F.conv2d(torch.ones_like(x), cross, padding=1, groups=c)

        def lap(a):  # sum over in-image 4-neighbours q of (a_q - a_p)
            return F.conv2d(a, cross, padding=1, groups=c) - count * a

        lap_g = lap(g_t)
        for _ in range(steps):
            x = x + hole * (lap(x) - lap_g) / 4
    return x.permute(0, 2, 3, 1).numpy()


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="results/data/faces")
    parser.add_argument("--model", help="trained yeh_dcgan model folder (optional)")
    parser.add_argument("--n", type=int, default=32, help="images (default 32)")
    parser.add_argument("--steps", type=int, default=20, help="latent search steps (default 20)")
    parser.add_argument("--restarts", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mask", choices=["pixels", "center"], default="pixels",
                        help="80%% random pixels (default) or a centred half-side square")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if Path(args.data, "test.npz").is_file():
        _, u8 = load_split(args.data, "test")
        images = u8[:args.n].astype(np.float32) / 255
    else:
        rng = np.random.default_rng(0)
        low = torch.from_numpy(rng.random((args.n, 3, 4, 4), dtype=np.float32))
        images = F.interpolate(low, size=(32, 32), mode="bilinear").permute(0, 2, 3, 1).numpy()
    n, size, _, channels = images.shape
    rng = np.random.default_rng(1)
    known = np.stack([pixels_mask(rng, size, 0.8) if args.mask == "pixels" else
                      center_mask(size, 0.5) for _ in range(n)])
    if args.model:
        method = get_method("yeh_dcgan")
        method.load(args.model, device="cpu")
        g_net, d_net = method.generator, method.discriminator
    else:
        g_net, d_net = Generator(100, size, channels, 32).eval(), Discriminator(size, channels,
                                                                                 32).eval()
        for p in [*g_net.parameters(), *d_net.parameters()]:
            p.requires_grad_(False)

    target = torch.from_numpy(images.transpose(0, 3, 1, 2) * 2 - 1)
    weights = torch.from_numpy(importance_weights(known)[:, None])
    search = {"steps": args.steps, "restarts": args.restarts, "lr": 0.03, "lam": 0.003}
    z0 = uniform_z(args.restarts * n, g_net.nz, seed=0)  # rows r * n + i: restart r of image i
    latent_search(g_net, d_net, target[:2], weights[:2], **{**search, "steps": 2})  # warm-up
    batched, t_batch = timed(lambda: latent_search(g_net, d_net, target, weights, z0=z0,
                                                   **search))
    looped, t_loop = timed(lambda: [
        latent_search(g_net, d_net, target[i:i + 1], weights[i:i + 1], z0=z0[i::n], **search)
        for i in range(n)])
    work = n * args.steps * args.restarts
    print(f"# yeh_dcgan benchmark: {n} images {size}x{size}x{channels}, {args.mask} masks, "
          f"{args.threads} thread(s), torch {torch.__version__}, "
          f"{'trained model' if args.model else 'random DCGAN (base 32)'}")
    print(f"\n## latent search ({args.steps} steps x {args.restarts} restarts per image)\n")
    print("| variant | seconds | images*steps*restarts / s |")
    print("|---|---|---|")
    print(f"| batched (all {n} at once) | {t_batch:.2f} | {work / t_batch:.0f} |")
    print(f"| per-image loop | {t_loop:.2f} | {work / t_loop:.0f} |")
    print(f"| ratio batched / loop | | {t_loop / t_batch:.1f}x |")
    gap = max(float((looped[i].context_loss - batched.context_loss[i]).abs()) for i in range(n))
    scale = float(batched.context_loss.abs().max())
    print(f"\nsame starting z: max |L_c batched - L_c loop| = {gap:.2e} (max L_c {scale:.1f})")

    guides = (batched.images.numpy().transpose(0, 2, 3, 1) + 1) / 2 if args.model else \
        np.roll(F.avg_pool2d(torch.from_numpy(images.transpose(0, 3, 1, 2)), 3, 1, 1)
                .numpy().transpose(0, 2, 3, 1), 1, axis=2) + 0.1
    exact, t_exact = timed(lambda: poisson_blend_batch(images, guides, known, clip=False))
    sob, t_sob = timed(lambda: gradient_descent(images, guides, known, kind="sobel"))
    lapl, t_lap = timed(lambda: gradient_descent(images, guides, known, kind="laplacian"))
    print(f"\n## Poisson blending ({n} images)\n")
    print("| solver | seconds | pair residual | Sobel residual | max |x - exact| |")
    print("|---|---|---|---|---|")
    for name, x, t in [("sparse exact (SuperLU)", exact, t_exact),
                       ("500 GD steps, Sobel, Adam lr 0.01", sob, t_sob),
                       ("500 GD steps, Laplacian, step 1/4", lapl, t_lap)]:
        print(f"| {name} | {t:.3f} | {pair_residual(x, guides, known):.4f} | "
              f"{sobel_residual(x, guides, known):.4f} | {np.abs(x - exact).max():.2e} |")
    print(f"\nspeed ratio: Sobel GD / exact = {t_sob / t_exact:.1f}x, "
          f"Laplacian GD / exact = {t_lap / t_exact:.1f}x")


if __name__ == "__main__":
    main()
