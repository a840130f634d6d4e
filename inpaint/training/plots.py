"""Sample grids and loss curves, written atomically as PNGs."""

from __future__ import annotations

import csv
import itertools
import os

import torch

from inpaint.io import atomic_path


def save_sample_grid(images: torch.Tensor, path: str | os.PathLike, nrow: int,
                     value_range: tuple[float, float] = (0.0, 1.0)) -> None:
    """Save (N, C, H, W) images in ``value_range`` as a grid of ``nrow`` images a row."""
    from torchvision.utils import save_image

    with atomic_path(path) as tmp:
        save_image(images.detach().float().cpu(), tmp, format="PNG", nrow=nrow, padding=2,
                   normalize=True, value_range=value_range)


def plot_loss_curve(log_path: str | os.PathLike, png_path: str | os.PathLike,
                    title: str = "") -> None:
    """Plot every loss column of a training log CSV against the step, one panel per loss;
    dotted lines mark where the phase changes."""
    from matplotlib.figure import Figure

    with open(log_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [c for c in (rows[0].keys() if rows else []) if c not in ("step", "phase", "seconds")]
    fig = Figure(figsize=(6.4, 1.0 + 1.8 * max(len(names), 1)), layout="constrained")
    axes = fig.subplots(max(len(names), 1), 1, sharex=True, squeeze=False)[:, 0]
    changes = [int(b["step"]) for a, b in itertools.pairwise(rows) if a["phase"] != b["phase"]]
    for ax, name in zip(axes, names, strict=False):
        points = [(int(r["step"]), float(r[name])) for r in rows if r[name] != ""]
        if points:
            steps, values = zip(*points, strict=True)
            ax.plot(steps, values, linewidth=1.0)
        for step in changes:
            ax.axvline(step, color="grey", linestyle=":", linewidth=0.8)
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("step")
    if title:
        axes[0].set_title(title)
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
