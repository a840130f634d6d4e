"""Partial convolutions and the PConv U-Net (Liu et al. 2018). (The VGG16 features of its
perceptual and style losses: inpaint.pretrained.vgg.)

PartialConv2d: out = W^T (X (.) M) * sum(1) / sum(M) + b where sum(M) > 0, else 0;
the updated mask is 1 where the window saw any known pixel (M = 1 keeps, 0 is a hole).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from inpaint.errors import InpaintError

KERNELS = (7, 5, 5, 3, 3, 3, 3, 3)  # encoder kernel sizes of the paper's 8 levels
WIDTH_FACTORS = (1, 2, 4, 8, 8, 8, 8, 8)  # x base channels (paper: base 64)
MAX_DEPTH = len(KERNELS)


class PartialConv2d(nn.Conv2d):
    """A Conv2d whose ``forward(x, mask)`` returns ``(out, new_mask)``.

    ``mask`` is (B, 1, H, W), shared by all input channels, or (B, C_in, H, W), one per
    input channel (e.g. after concatenating skip connections). sum(1) and sum(M) count
    every input channel in the window, so a 1-channel mask and its expansion to C_in
    channels give the same result. The new mask is (B, 1, H, W): it is the same for every
    output channel. Zero padding counts as a hole, so border windows are re-normalised too.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.groups != 1 or self.padding_mode != "zeros":
            raise ValueError("PartialConv2d supports groups=1 and zero padding only")

    def mask_ratio(self, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(sum(1) / sum(M) where sum(M) > 0 else 0, new mask), both float32 (B, 1, H', W')."""
        channels = mask.shape[1]
        if channels not in (1, self.in_channels):
            raise ValueError(f"mask has {channels} channels; expected 1 or {self.in_channels}")
        with torch.no_grad(), torch.autocast(mask.device.type, enabled=False):
            ones = torch.ones(1, 1, *self.kernel_size, device=mask.device)
            total = float(channels * ones.numel())
            per_pixel = mask.float().sum(1, keepdim=True)  # sum over channels, then windows
            seen = F.conv2d(per_pixel, ones, None, self.stride, self.padding, self.dilation)
            new_mask = (seen > 0).float()
            ratio = total / seen.clamp(min=1e-8) * new_mask
        return ratio, new_mask

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ratio, new_mask = self.mask_ratio(mask)
        raw = F.conv2d(x * mask.to(x.dtype), self.weight, None, self.stride, self.padding,
                       self.dilation)
        out = raw * ratio.to(raw.dtype)
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1) * new_mask.to(raw.dtype)
        return out, new_mask


class _Block(nn.Module):
    """(partial) convolution, optional batch norm, activation; passes the mask along."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, partial: bool,
                 norm: bool, act: str) -> None:
        super().__init__()
        conv = PartialConv2d if partial else nn.Conv2d
        self.partial = partial
        self.conv = conv(cin, cout, kernel, stride, kernel // 2, bias=not norm)
        self.norm = nn.BatchNorm2d(cout) if norm else nn.Identity()
        self.act = {"relu": nn.ReLU(), "lrelu": nn.LeakyReLU(0.2),
                    "sigmoid": nn.Sigmoid()}[act]

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.partial:
            x, mask = self.conv(x, mask)
        else:
            x = self.conv(x)
        return self.act(self.norm(x)), mask


def unet_depth(size: int, max_depth: int = MAX_DEPTH) -> int:
    """Levels for a square image: halve while the size stays even, at most ``max_depth``
    (32 px -> 5 levels down to 1x1, 512 px -> the paper's 8)."""
    depth = 0
    while depth < max_depth and size % 2 ** (depth + 1) == 0:
        depth += 1
    if depth == 0:
        raise ValueError(f"image size {size} must be even for a U-Net")
    return depth


class PConvUNet(nn.Module):
    """The paper's U-Net: ``depth`` stride-2 encoder levels (ReLU, batch norm after the
    first), nearest-neighbour upsampling, skip connections concatenating features and
    masks, LeakyReLU(0.2) decoder, sigmoid output in [0, 1].

    ``partial=False`` is the ablation with ordinary convolutions: the input is the image
    with its holes filled with ``fill`` (the dataset's mean pixel) plus the mask channel.
    ``forward(image, known)``: image (B, C, H, W) in [0, 1], known (B, 1, H, W), 1 = known.
    """

    def __init__(self, channels: int, depth: int, base_channels: int = 64,
                 partial: bool = True, kernels: tuple[int, ...] | None = None) -> None:
        super().__init__()
        if not 1 <= depth <= MAX_DEPTH:
            raise ValueError(f"depth must be in 1..{MAX_DEPTH}, got {depth}")
        kernels = tuple(kernels or KERNELS[:depth])
        if len(kernels) != depth or any(k < 1 or k % 2 == 0 for k in kernels):
            raise ValueError(f"kernels must be {depth} odd sizes, got {kernels}")
        self.partial, self.depth = partial, depth
        cin = channels if partial else channels + 1
        widths = [base_channels * f for f in WIDTH_FACTORS[:depth]]
        skips = [cin, *widths[:-1]]  # input of encoder level i = skip into decoder level i
        self.encoder = nn.ModuleList(
            _Block(skips[i], widths[i], kernels[i], 2, partial, i > 0, "relu")
            for i in range(depth)
        )
        outs = [channels, *widths[:-1]]
        self.decoder = nn.ModuleList(
            _Block(widths[i] + skips[i], outs[i], 3, 1, partial, i > 0,
                   "lrelu" if i > 0 else "sigmoid")
            for i in reversed(range(depth))
        )
        if not partial:
            self.register_buffer("fill", torch.full((channels,), 0.5))

    def encoder_norms(self) -> list[nn.BatchNorm2d]:
        return [m for m in self.encoder.modules() if isinstance(m, nn.BatchNorm2d)]

    def freeze_encoder_norms(self, frozen: bool) -> None:
        """Fine-tuning: encoder batch norm uses its running statistics and stops learning."""
        for norm in self.encoder_norms():
            norm.train(self.training and not frozen)
            for p in norm.parameters():
                p.requires_grad_(not frozen)

    def forward(self, image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        known = known.to(image.dtype)
        if self.partial:
            x = image * known
        else:
            fill = self.fill.view(1, -1, 1, 1).to(image.dtype)
            x = torch.cat([image * known + (1 - known) * fill, known], 1)
        feats, masks = [x], [known]
        h, m = x, known
        for block in self.encoder:
            h, m = block(h, m)
            feats.append(h)
            masks.append(m)
        for block, skip, skip_mask in zip(self.decoder, feats[-2::-1], masks[-2::-1],
                                          strict=True):
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            if self.partial:
                m = F.interpolate(m, scale_factor=2, mode="nearest")
                m = torch.cat([m.expand(-1, h.shape[1], -1, -1),
                               skip_mask.expand(-1, skip.shape[1], -1, -1)], 1)
            h, m = block(torch.cat([h, skip], 1), m)
        return h


def build_unet(hp: Mapping[str, Any], channels: int, size: int, partial: bool) -> PConvUNet:
    """The U-Net of a method's hyper-parameters (depth from the image size unless set)."""
    try:
        depth = hp["depth"] or (len(hp["kernels"]) if hp["kernels"] else unet_depth(size))
        if size % 2 ** depth:
            raise ValueError(f"image size {size} is not divisible by 2^depth = {2 ** depth}")
        return PConvUNet(channels, depth, hp["base_channels"], partial, hp["kernels"])
    except ValueError as exc:
        raise InpaintError(f"pconv U-Net (depth/kernels): {exc}") from None
