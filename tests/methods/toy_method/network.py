"""toy_fill's network (nn.Modules only)."""

from __future__ import annotations

import torch
from torch import nn


class ToyFillNet(nn.Module):
    """(image with holes zeroed, mask) -> image in [0, 1]: three 3x3 convolutions."""

    def __init__(self, channels: int, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels + 1, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, channels, 3, padding=1), nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([x * known, known], 1))
