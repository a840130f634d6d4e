"""DCGAN generator and discriminator (Radford et al. 2016), sized by the config.

Both work at any power-of-two image size >= 8: the generator starts from a
4 x 4 map of ``base * 2**(L-1)`` channels and doubles the resolution L =
log2(size / 4) times, halving the channels, to ``channels`` outputs in tanh;
the discriminator mirrors it with strided convolutions and LeakyReLU(0.2) and
returns one logit per image. Batch norm everywhere except the generator's
output and the discriminator's input layer, weights N(0, 0.02) as in DCGAN.
At 64 px with base 64 this is the paper's (and the PyTorch tutorial's) DCGAN.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def levels(size: int) -> int:
    """Number of resolution doublings from 4 x 4 to ``size`` (3 at 32 px, 4 at 64 px)."""
    n = math.log2(size / 4) if size >= 8 else 0
    if size < 8 or n != int(n):
        raise ValueError(f"DCGAN image size must be a power of two >= 8, got {size}")
    return int(n)


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02), batch-norm scale N(1, 0.02), bias 0."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class Generator(nn.Module):
    """z (N, nz) -> image (N, channels, size, size) in [-1, 1]."""

    def __init__(self, nz: int = 100, size: int = 64, channels: int = 3, base: int = 64) -> None:
        super().__init__()
        n = levels(size)
        self.nz = nz
        width = base * 2 ** (n - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(nz, width, 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(width), nn.ReLU(True)]
        for _ in range(n - 1):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z[:, :, None, None])


class Discriminator(nn.Module):
    """image (N, channels, size, size) in [-1, 1] -> real/fake logit (N,)."""

    def __init__(self, size: int = 64, channels: int = 3, base: int = 64) -> None:
        super().__init__()
        n = levels(size)
        width = base
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1, bias=False),
                                   nn.LeakyReLU(0.2, True)]
        for _ in range(n - 1):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width * 2), nn.LeakyReLU(0.2, True)]
            width *= 2
        layers += [nn.Conv2d(width, 1, 4, 1, 0, bias=False)]
        self.net = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()
