"""GLCIC networks (Iizuka et al. 2017), sized by the config.

Completion network: a 5x5 stem, ``downsamples`` stages of (strided 3x3 conv,
3x3 conv) doubling the width, one more 3x3 conv, dilated 3x3 convs (rates 2,
4, 8, 16), two 3x3 convs, then per stage a 4x4 transposed conv and a 3x3 conv,
and a 3x3 output conv with a sigmoid. Batch norm + ReLU after every layer but
the last. At 256 px with width 64 and 2 stages this is the paper's 17-layer
network; at 32 px with 2 stages the bottleneck is 8 x 8 and every output pixel
sees the whole image (``receptive_field``).

Input: the image minus the dataset mean pixel with the hole zeroed (the hole
"filled with the mean pixel", as the authors' code does) and the hole mask
(1 = missing) as an extra channel. Output: the image in [0, 1].

Discriminators: the global one on the whole image, the local one on a patch of
half the image side around the hole; each is strided 5x5 convs (stride 2,
width doubling up to 8x) down to 4 x 4 and a fully connected layer to
``16 * width`` features (1024 at the paper's width 64); the two feature vectors
are concatenated and a linear layer gives one real/fake logit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

PAPER_DILATIONS = (2, 4, 8, 16)


def _conv(cin: int, cout: int, kernel: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    pad = dilation * (kernel - 1) // 2
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, pad, dilation=dilation),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _deconv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


def layer_specs(downsamples: int = 2, dilations: Sequence[int] = PAPER_DILATIONS
                ) -> list[tuple[str, int, int, int]]:
    """The completion network's layers as (kind, kernel, stride, dilation), input to output;
    kind is "conv" or "deconv" (4x4 transposed conv, stride 2)."""
    specs = [("conv", 5, 1, 1)]
    for _ in range(downsamples):
        specs += [("conv", 3, 2, 1), ("conv", 3, 1, 1)]
    specs.append(("conv", 3, 1, 1))
    specs += [("conv", 3, 1, int(d)) for d in dilations]
    specs += [("conv", 3, 1, 1)] * 2
    for _ in range(downsamples):
        specs += [("deconv", 4, 2, 1), ("conv", 3, 1, 1)]
    specs.append(("conv", 3, 1, 1))
    return specs


def receptive_field(downsamples: int = 2, dilations: Sequence[int] = PAPER_DILATIONS) -> int:
    """Side (pixels) of the largest input region one output pixel depends on.

    Walks the layers backwards from one output pixel, mapping the interval of
    positions it depends on through each layer (conv: stride, dilation and padding;
    4x4 stride-2 transposed conv: the input positions that reach it), for every
    output phase modulo 2 ** downsamples. The paper's network (2 stages) gives
    303 px (GLCIC quotes 307 px); at 32 px any 2-stage network sees the whole image.
    """
    specs = layer_specs(downsamples, dilations)
    best = 0
    for phase in range(2**downsamples):
        lo = hi = 1000 * 2**downsamples + phase
        for kind, kernel, stride, dilation in reversed(specs):
            if kind == "conv":
                pad = dilation * (kernel - 1) // 2
                lo, hi = lo * stride - pad, hi * stride - pad + (kernel - 1) * dilation
            else:  # out = in * 2 - 1 + j, j in 0..3
                lo, hi = -((kernel - 2 - lo) // stride), (hi + 1) // stride
        best = max(best, hi - lo + 1)
    return best


class CompletionNet(nn.Module):
    """(image (N, C, H, W) in [0, 1], known (N, 1, H, W), 1 = known) -> completed image in [0, 1].

    ``mean`` is the dataset mean pixel (C,), kept as a buffer so checkpoints carry it.
    H and W must be multiples of 2 ** downsamples.
    """

    def __init__(self, channels: int, width: int = 64, downsamples: int = 2,
                 dilations: Sequence[int] = PAPER_DILATIONS,
                 mean: Sequence[float] | None = None) -> None:
        super().__init__()
        self.channels, self.downsamples = channels, downsamples
        self.dilations = tuple(int(d) for d in dilations)
        mean_t = torch.full((channels,), 0.5) if mean is None else torch.tensor(
            [float(v) for v in mean])
        if mean_t.shape != (channels,):
            raise ValueError(f"mean has {mean_t.numel()} values for {channels} channels")
        self.register_buffer("mean", mean_t.view(1, channels, 1, 1))
        w = width
        layers: list[nn.Module] = [_conv(channels + 1, w, 5)]
        for _ in range(downsamples):
            layers += [_conv(w, 2 * w, 3, 2), _conv(2 * w, 2 * w, 3)]
            w *= 2
        layers.append(_conv(w, w, 3))
        layers += [_conv(w, w, 3, dilation=d) for d in self.dilations]
        layers += [_conv(w, w, 3), _conv(w, w, 3)]
        last = w
        for level in range(downsamples):
            last = w // 2 if level < downsamples - 1 else max(1, width // 2)
            layers += [_deconv(w, w // 2), _conv(w // 2, last, 3)]
            w //= 2
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Conv2d(last, channels, 3, padding=1), nn.Sigmoid())

    def forward(self, image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        factor = 2 ** self.downsamples
        if image.shape[-1] % factor or image.shape[-2] % factor:
            raise ValueError(f"image side {tuple(image.shape[-2:])} is not a multiple of {factor}")
        hole = 1.0 - known
        x = torch.cat([(image - self.mean) * known, hole], 1)
        return self.head(self.body(x))


def _feature_branch(channels: int, size: int, width: int) -> nn.Sequential:
    """Strided 5x5 convs from ``size`` down to 4 x 4, then a linear layer to 16 * width."""
    n = int(math.log2(size / 4)) if size >= 8 else 0
    if size < 8 or 4 * 2**n != size:
        raise ValueError(f"discriminator input side must be 4 * 2^k >= 8, got {size}")
    layers: list[nn.Module] = []
    cin = channels
    for i in range(n):
        cout = width * min(2**i, 8)
        layers += [nn.Conv2d(cin, cout, 5, 2, 2), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        cin = cout
    layers += [nn.Flatten(), nn.Linear(cin * 16, 16 * width), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class Discriminator(nn.Module):
    """Global (whole image) + local (hole patch) branches, concatenated -> one logit."""

    def __init__(self, channels: int, size: int, width: int = 64) -> None:
        super().__init__()
        self.size, self.patch = size, size // 2
        self.global_branch = _feature_branch(channels, size, width)
        self.local_branch = _feature_branch(channels, self.patch, width)
        self.head = nn.Linear(2 * 16 * width, 1)

    def forward(self, image: torch.Tensor, patch: torch.Tensor) -> torch.Tensor:
        features = torch.cat([self.global_branch(image), self.local_branch(patch)], 1)
        return self.head(features).squeeze(1)


def build_net(hp: Mapping[str, Any], channels: int, mean=None) -> CompletionNet:
    """The completion network of a method's hyper-parameters (width, downsamples, dilations)."""
    return CompletionNet(channels, hp["width"], hp["downsamples"], hp["dilations"], mean)
