"""LaMa's networks (Suvorov et al. 2022): the FFC-ResNet generator and the PatchGAN
(NLayer) discriminator, ``nn.Module``\\ s only.

Source (advimman/lama, commit 786f5936b27fb3dacd2b1ad799e4de968ea697e7):

* ``saicinpainting/training/modules/ffc.py``: ``FourierUnit``, ``SpectralTransform``,
  ``FFC``, ``FFC_BN_ACT``, ``FFCResnetBlock``, ``FFCResNetGenerator``; the options of
  ``configs/training/big-lama.yaml`` / ``generator/ffc_resnet_075.yaml``: the first
  7x7 convolution and the downsampling convolutions are local only (``ratio_gin`` =
  ``ratio_gout`` = 0) except that the last downsampling's output is split 0.75 global;
  every residual block is two FFCs with ``ratio_gin`` = ``ratio_gout`` = 0.75; no
  local Fourier unit (``enable_lfu: false``), no spectral positional encoding, no
  squeeze-excitation, no gates; reflect padding; batch norm and ReLU; transposed
  convolutions up; a 7x7 convolution and a sigmoid out (``add_out_act: sigmoid``).
* ``saicinpainting/training/modules/pix2pixhd.py``: ``NLayerDiscriminator`` (4x4
  convolutions, stride 2 for the first ``n_layers``, batch norm, LeakyReLU 0.2; returns
  the logits map and every intermediate activation for feature matching;
  ``configs/training/discriminator/pix2pixhd_nlayer.yaml``: ndf 64, n_layers 4).

The generator's input is the image with its hole zeroed plus the mask channel (1 = hole,
LaMa's convention, ``trainers/default.py``). :class:`LamaGenerator` pads any image to a
multiple of 2 ** ``n_downsampling`` with symmetric padding at the bottom and right (as
``saicinpainting/evaluation/data.py: pad_img_to_modulo`` does for prediction) and crops
the output back, so it completes images of any size.
"""

from __future__ import annotations

import torch
from torch import nn


class FourierUnit(nn.Module):
    """Real 2-D FFT (ortho), a 1x1 convolution with batch norm and ReLU on the stacked
    real and imaginary parts (2C channels), inverse FFT back to the input's size."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels * 2, out_channels * 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels * 2)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        spec = torch.fft.rfft2(x.float(), norm="ortho")  # (n, c, h, w // 2 + 1)
        # (n, c, 2, h, w//2+1) -> (n, 2c, ...): channel c's real part, then its imaginary
        stacked = torch.stack((spec.real, spec.imag), dim=2).reshape(n, -1, *spec.shape[-2:])
        stacked = self.relu(self.bn(self.conv(stacked.to(x.dtype))))
        re, im = stacked.float().reshape(n, -1, 2, *stacked.shape[-2:]).unbind(2)
        return torch.fft.irfft2(torch.complex(re, im), s=(h, w), norm="ortho").to(x.dtype)


class SpectralTransform(nn.Module):
    """The global-to-global branch: 1x1 conv (C -> C/2) + BN + ReLU, a Fourier unit with a
    residual connection, 1x1 conv (C/2 -> C)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        half = out_channels // 2
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, half, 1, bias=False),
                                   nn.BatchNorm2d(half), nn.ReLU(inplace=True))
        self.fu = FourierUnit(half, half)
        self.conv2 = nn.Conv2d(half, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        return self.conv2(x + self.fu(x))


def split(channels: int, ratio: float) -> tuple[int, int]:
    """(local, global) channel counts of an FFC side, as LaMa: global = int(C * ratio)."""
    glob = int(channels * ratio)
    return channels - glob, glob


class FFC(nn.Module):
    """Fast Fourier convolution: local and global channel groups; local->local,
    local->global and global->local are ordinary convolutions (reflect padding),
    global->global is the :class:`SpectralTransform`. Inputs and outputs are
    (local, global) pairs; an empty side is None."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 ratio_gin: float, ratio_gout: float, stride: int = 1,
                 padding: int = 0) -> None:
        super().__init__()
        in_l, in_g = split(in_channels, ratio_gin)
        out_l, out_g = split(out_channels, ratio_gout)
        self.out_l, self.out_g = out_l, out_g

        def conv(cin: int, cout: int) -> nn.Conv2d | None:
            if not cin or not cout:
                return None
            return nn.Conv2d(cin, cout, kernel_size, stride, padding, bias=False,
                             padding_mode="reflect")

        self.convl2l, self.convl2g = conv(in_l, out_l), conv(in_l, out_g)
        self.convg2l = conv(in_g, out_l)
        self.convg2g = SpectralTransform(in_g, out_g) if in_g and out_g else None
        if self.convg2g is not None and stride != 1:
            raise ValueError("a strided global-to-global FFC is not used by LaMa")

    @staticmethod
    def _add(*terms: torch.Tensor | None) -> torch.Tensor | None:
        present = [t for t in terms if t is not None]
        return sum(present[1:], present[0]) if present else None

    def forward(self, x: tuple[torch.Tensor | None, torch.Tensor | None]
                ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        x_l, x_g = x

        def run(module, inp):
            return None if module is None or inp is None else module(inp)

        out_l = self._add(run(self.convl2l, x_l), run(self.convg2l, x_g)) if self.out_l else None
        out_g = self._add(run(self.convl2g, x_l), run(self.convg2g, x_g)) if self.out_g else None
        return out_l, out_g


class FFCBNAct(nn.Module):
    """An FFC followed by batch norm and an activation on each side (LaMa's FFC_BN_ACT)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 ratio_gin: float, ratio_gout: float, stride: int = 1, padding: int = 0,
                 activation: bool = True) -> None:
        super().__init__()
        self.ffc = FFC(in_channels, out_channels, kernel_size, ratio_gin, ratio_gout,
                       stride, padding)
        out_l, out_g = split(out_channels, ratio_gout)

        def post(channels: int) -> nn.Module | None:
            if not channels:
                return None
            return nn.Sequential(nn.BatchNorm2d(channels),
                                 nn.ReLU(inplace=True) if activation else nn.Identity())

        self.post_l, self.post_g = post(out_l), post(out_g)

    def forward(self, x):
        x_l, x_g = self.ffc(x)
        return (None if x_l is None else self.post_l(x_l),
                None if x_g is None else self.post_g(x_g))


class FFCResnetBlock(nn.Module):
    """Two 3x3 FFC-BN-ReLU layers with a residual connection on both sides."""

    def __init__(self, channels: int, ratio: float) -> None:
        super().__init__()
        self.conv1 = FFCBNAct(channels, channels, 3, ratio, ratio, padding=1)
        self.conv2 = FFCBNAct(channels, channels, 3, ratio, ratio, padding=1)

    def forward(self, x):
        id_l, id_g = x
        x_l, x_g = self.conv2(self.conv1(x))
        return (x_l if id_l is None else id_l + x_l, x_g if id_g is None else id_g + x_g)


class FFCResNetGenerator(nn.Module):
    """LaMa's generator on (N, in_channels, H, W), H and W multiples of 2 ** n_downsampling;
    returns (N, out_channels, H, W) in [0, 1] (sigmoid)."""

    def __init__(self, in_channels: int, out_channels: int, ngf: int = 64,
                 n_downsampling: int = 3, n_blocks: int = 18, ratio: float = 0.75,
                 max_features: int = 1024) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.ReflectionPad2d(3))
        self.init = FFCBNAct(in_channels, ngf, 7, 0.0, 0.0)
        down = []
        for i in range(n_downsampling):
            cin, cout = min(max_features, ngf * 2 ** i), min(max_features, ngf * 2 ** (i + 1))
            last = i == n_downsampling - 1
            down.append(FFCBNAct(cin, cout, 3, 0.0, ratio if last else 0.0, stride=2,
                                 padding=1))
        self.down = nn.ModuleList(down)
        width = min(max_features, ngf * 2 ** n_downsampling)
        if n_downsampling == 0 and n_blocks:
            raise ValueError("LaMa's generator needs at least one downsampling before its "
                             "FFC blocks (the split into global channels happens there)")
        self.blocks = nn.ModuleList(FFCResnetBlock(width, ratio) for _ in range(n_blocks))
        up: list[nn.Module] = []
        for i in range(n_downsampling):
            cin = min(max_features, ngf * 2 ** (n_downsampling - i))
            cout = min(max_features, ngf * 2 ** (n_downsampling - i) // 2)
            up += [nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1),
                   nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        self.up = nn.Sequential(*up)
        self.out = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7),
                                 nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.init((self.stem(x), None))
        for layer in self.down:
            feats = layer(feats)
        for block in self.blocks:
            feats = block(feats)
        x = torch.cat([t for t in feats if t is not None], dim=1)  # ConcatTupleLayer
        return self.out(self.up(x))


def pad_symmetric(x: torch.Tensor, multiple: int, minimum: int = 1) -> torch.Tensor:
    """``x`` (N, C, H, W) padded at the bottom and right to multiples of ``multiple`` (and
    at least ``minimum``) by mirroring with the edge repeated (numpy's
    ``mode='symmetric'``, LaMa's prediction)."""
    h, w = x.shape[-2:]
    ph, pw = (max(-s % multiple, minimum - s) for s in (h, w))
    while ph or pw:  # more padding than the image has rows: mirror again
        take_h, take_w = min(ph, x.shape[-2]), min(pw, x.shape[-1])
        if take_h:
            x = torch.cat([x, x.flip(-2)[..., :take_h, :]], dim=-2)
        if take_w:
            x = torch.cat([x, x.flip(-1)[..., :, :take_w]], dim=-1)
        ph, pw = ph - take_h, pw - take_w
    return x


class LamaGenerator(nn.Module):
    """forward(x, known): images (N, C, H, W) in [0, 1] of any size and masks (N, 1, H, W),
    1 = known -> predictions (N, C, H, W) in [0, 1] (the whole image; the caller
    composites). The generator sees the image with its hole zeroed and the hole mask."""

    def __init__(self, channels: int, ngf: int, n_downsampling: int, n_blocks: int,
                 ratio: float = 0.75, max_features: int = 1024) -> None:
        super().__init__()
        self.multiple = 2 ** n_downsampling
        self.net = FFCResNetGenerator(channels + 1, channels, ngf, n_downsampling, n_blocks,
                                      ratio, max_features)

    def forward(self, x: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        hole = 1 - known.to(x.dtype)
        # at least 2 px at the bottleneck: reflect padding needs more than its width
        inp = pad_symmetric(torch.cat([x * (1 - hole), hole], dim=1), self.multiple,
                            2 * self.multiple)
        return self.net(inp)[..., :h, :w]


class NLayerDiscriminator(nn.Module):
    """pix2pixHD's PatchGAN: forward(x) -> (logits (N, 1, h, w), [activations of every
    layer but the last]) for the feature-matching loss."""

    def __init__(self, in_channels: int, ndf: int = 64, n_layers: int = 4) -> None:
        super().__init__()
        layers = [nn.Sequential(nn.Conv2d(in_channels, ndf, 4, stride=2, padding=2),
                                nn.LeakyReLU(0.2, True))]
        nf = ndf
        for _ in range(1, n_layers):
            prev, nf = nf, min(nf * 2, 512)
            layers.append(nn.Sequential(nn.Conv2d(prev, nf, 4, stride=2, padding=2),
                                        nn.BatchNorm2d(nf), nn.LeakyReLU(0.2, True)))
        prev, nf = nf, min(nf * 2, 512)
        layers.append(nn.Sequential(nn.Conv2d(prev, nf, 4, stride=1, padding=2),
                                    nn.BatchNorm2d(nf), nn.LeakyReLU(0.2, True)))
        layers.append(nn.Sequential(nn.Conv2d(nf, 1, 4, stride=1, padding=2)))
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        acts = []
        for layer in self.layers:
            x = layer(x)
            acts.append(x)
        return acts[-1], acts[:-1]


def build_generator(hp: dict, channels: int) -> LamaGenerator:
    return LamaGenerator(channels, hp["ngf"], hp["n_downsampling"], hp["n_blocks"],
                         hp["global_ratio"], hp["max_features"])


def build_discriminator(hp: dict, channels: int) -> NLayerDiscriminator:
    return NLayerDiscriminator(channels, hp["ndf"], hp["d_layers"])
