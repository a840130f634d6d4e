"""Context Encoder networks (Pathak et al. 2016), sized by the config.

Generator: the image with its hole filled by the dataset mean, plus the mask
as a fourth (second) channel, goes through L = log2(size / 4) strided 4x4
convolutions down to 4 x 4, a wide 4x4 bottleneck (a 4x4 convolution to a
``bottleneck``-channel 1 x 1 code, as the official code's 4000-d code at
128 px) and a mirrored decoder of transposed convolutions to the full image in
tanh. Batch norm everywhere except the first and last layers, LeakyReLU(0.2)
in the encoder and ReLU in the decoder, weights N(0, 0.02) as in DCGAN.

Discriminator: a PatchGAN (the seed's choice) on the whole composited image:
L strided 4x4 convolutions, then a 3x3 convolution to one logit per 4 x 4
patch cell (receptive field 38 px at 32 px). Holes of any shape and position
(the training mixture) sit under some patches, so no crop around the hole is
needed, unlike the paper's discriminator on the center region only.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def levels(size: int) -> int:
    """Number of stride-2 stages between ``size`` and 4 x 4 (3 at 32 px)."""
    n = math.log2(size / 4) if size >= 8 else 0
    if size < 8 or n != int(n):
        raise ValueError(f"context encoder image size must be a power of two >= 8, got {size}")
    return int(n)


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02), batch-norm scale N(1, 0.02), bias 0."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _widths(base: int, n: int, max_mult: int = 8) -> list[int]:
    return [base * min(2**i, max_mult) for i in range(n)]


class Generator(nn.Module):
    """(image in [-1, 1] (N, C, H, W), known (N, 1, H, W), 1 = known) -> image in [-1, 1].

    ``fill`` (a buffer saved with the weights) is the dataset mean per channel in
    [-1, 1]; hole pixels of the input are replaced by it before encoding.
    """

    def __init__(self, size: int = 32, channels: int = 3, base: int = 64,
                 bottleneck: int = 512) -> None:
        super().__init__()
        n = levels(size)
        widths = _widths(base, n)
        self.size, self.channels = size, channels
        self.register_buffer("fill", torch.zeros(channels))
        enc: list[nn.Module] = []
        cin = channels + 1
        for i, w in enumerate(widths):
            enc.append(nn.Conv2d(cin, w, 4, 2, 1, bias=i == 0))
            if i > 0:
                enc.append(nn.BatchNorm2d(w))
            enc.append(nn.LeakyReLU(0.2, inplace=True))
            cin = w
        enc += [nn.Conv2d(cin, bottleneck, 4, 1, 0, bias=False), nn.BatchNorm2d(bottleneck),
                nn.LeakyReLU(0.2, inplace=True)]
        dec: list[nn.Module] = [nn.ConvTranspose2d(bottleneck, cin, 4, 1, 0, bias=False),
                                nn.BatchNorm2d(cin), nn.ReLU(inplace=True)]
        for w in reversed(widths[:-1]):
            dec += [nn.ConvTranspose2d(cin, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w),
                    nn.ReLU(inplace=True)]
            cin = w
        dec += [nn.ConvTranspose2d(cin, channels, 4, 2, 1), nn.Tanh()]
        self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)
        self.apply(init_weights)

    def masked_input(self, image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        """The corrupted image: known pixels kept, hole pixels set to the dataset mean."""
        return image * known + self.fill.view(1, -1, 1, 1) * (1 - known)

    def forward(self, image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.masked_input(image, known), known * 2 - 1], dim=1)
        return self.decoder(self.encoder(x))


class PatchDiscriminator(nn.Module):
    """image (N, C, H, W) in [-1, 1] -> logits (N, 1, 4, 4), one per patch."""

    def __init__(self, size: int = 32, channels: int = 3, base: int = 64) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = channels
        for i, w in enumerate(_widths(base, levels(size))):
            layers.append(nn.Conv2d(cin, w, 4, 2, 1, bias=i == 0))
            if i > 0:
                layers.append(nn.BatchNorm2d(w))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            cin = w
        layers.append(nn.Conv2d(cin, 1, 3, 1, 1))
        self.net = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)
