"""Context Encoder networks (Pathak et al. 2016), sized by the config.

Generator: the image with its hole filled by the dataset mean, plus the mask
as a fourth (second) channel, goes through L = log2(size / 4) strided 4x4
convolutions down to 4 x 4, a wide 4x4 bottleneck (a 4x4 convolution to a
``bottleneck``-channel 1 x 1 code, as the official code's 4000-d code at
128 px) and a mirrored decoder of transposed convolutions to the full image in
tanh. Batch norm everywhere except the first and last layers, LeakyReLU(0.2)
in the encoder and ReLU in the decoder, weights N(0, 0.02) as in DCGAN.

Discriminators, chosen by the method's ``discriminator`` key:

* ``region`` (the paper's): the official train.lua's netD judges only the
  64 x 64 center region of a 128 x 128 image (the real center vs the
  generator's prediction of it). For holes of any shape and position,
  ``crop_regions`` takes each image's hole bounding box, grows it to a square
  of side max(height, width) around the box centre (shifted to stay inside the
  image), and resamples it to a fixed ``side`` x ``side`` (half the image side
  by default: 64 at 128 px, exactly the paper's crop for the center hole) with
  torchvision's ``roi_align`` (bilinear, averaging ceil(box / side)^2 samples
  per output pixel when shrinking; differentiable, batched). A crop of the
  composited image holds the prediction on hole pixels and the real image on
  known pixels of the box. ``RegionDiscriminator`` is the official DCGAN-style
  netD at that side: strided 4x4 convolutions down to 4 x 4, then a 4x4
  convolution to one logit.
* ``patch`` (the seed's choice): a PatchGAN on the whole composited image:
  L strided 4x4 convolutions, then a 3x3 convolution to one logit per 4 x 4
  patch cell (receptive field 38 px at 32 px).
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


def _down_stack(channels: int, base: int, n_levels: int) -> tuple[list[nn.Module], int]:
    """The discriminators' strided 4x4 convolutions (BN after the first, LeakyReLU 0.2),
    halving the side ``n_levels`` times; returns the layers and the last width."""
    layers: list[nn.Module] = []
    cin = channels
    for i, w in enumerate(_widths(base, n_levels)):
        layers.append(nn.Conv2d(cin, w, 4, 2, 1, bias=i == 0))
        if i > 0:
            layers.append(nn.BatchNorm2d(w))
        layers.append(nn.LeakyReLU(0.2, inplace=True))
        cin = w
    return layers, cin


class PatchDiscriminator(nn.Module):
    """image (N, C, H, W) in [-1, 1] -> logits (N, 1, 4, 4), one per patch."""

    def __init__(self, size: int = 32, channels: int = 3, base: int = 64) -> None:
        super().__init__()
        layers, cin = _down_stack(channels, base, levels(size))
        layers.append(nn.Conv2d(cin, 1, 3, 1, 1))
        self.net = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)


class RegionDiscriminator(nn.Module):
    """region (N, C, side, side) in [-1, 1] -> logits (N, 1): the official netD at ``side``."""

    def __init__(self, side: int = 16, channels: int = 3, base: int = 64) -> None:
        super().__init__()
        layers, cin = _down_stack(channels, base, levels(side))
        layers.append(nn.Conv2d(cin, 1, 4, 1, 0))
        self.side = side
        self.net = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, region: torch.Tensor) -> torch.Tensor:
        return self.net(region).flatten(1)


def hole_boxes(known: torch.Tensor) -> torch.Tensor:
    """Square boxes around each image's hole, float (N, 4) as (x0, y0, x1, y1) in pixel-edge
    coordinates (pixel i spans [i, i + 1)), for masks (N, 1, H, W) with 1 = known.

    The hole's bounding box grows to a square of side max(height, width) centred on it,
    shifted to stay inside the image (a box wider than a non-square image is clipped to it);
    an image without a hole gets the whole image.
    """
    h, w = known.shape[-2:]
    hole = known[:, 0] < 0.5
    rows, cols = hole.any(2), hole.any(1)  # (N, H), (N, W)
    has_hole = rows.any(1)
    iy = torch.arange(h, device=known.device)
    ix = torch.arange(w, device=known.device)
    big = max(h, w)
    y0 = torch.where(rows, iy, big).amin(1)
    y1 = torch.where(rows, iy, -1).amax(1) + 1
    x0 = torch.where(cols, ix, big).amin(1)
    x1 = torch.where(cols, ix, -1).amax(1) + 1
    full_h, full_w = torch.full_like(y0, h), torch.full_like(x0, w)
    y0, y1 = torch.where(has_hole, y0, 0), torch.where(has_hole, y1, full_h)
    x0, x1 = torch.where(has_hole, x0, 0), torch.where(has_hole, x1, full_w)
    side = torch.maximum(y1 - y0, x1 - x0)
    sy, sx = side.clamp(max=h), side.clamp(max=w)
    top = (y0 - (sy - (y1 - y0)) // 2).clamp(min=0)
    top = torch.minimum(top, h - sy)
    left = (x0 - (sx - (x1 - x0)) // 2).clamp(min=0)
    left = torch.minimum(left, w - sx)
    return torch.stack([left, top, left + sx, top + sy], 1).float()


def crop_regions(image: torch.Tensor, boxes: torch.Tensor, side: int) -> torch.Tensor:
    """Each image's box (from ``hole_boxes``) resampled to (N, C, side, side): bilinear
    ``roi_align`` with pixel-centre alignment, so a box of exactly ``side`` px is copied
    pixel for pixel; differentiable with respect to ``image``."""
    from torchvision.ops import roi_align

    index = torch.arange(len(image), device=image.device, dtype=image.dtype)[:, None]
    rois = torch.cat([index, boxes.to(image.dtype)], 1)
    return roi_align(image, rois, output_size=side, spatial_scale=1.0, sampling_ratio=-1,
                     aligned=True)
