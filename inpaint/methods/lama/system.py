"""LaMa's training system: the paper's losses, the two Adam optimisers and the training
masks (imports torch).

Source (advimman/lama, commit 786f5936b27fb3dacd2b1ad799e4de968ea697e7):

* ``saicinpainting/training/trainers/default.py``: the generator sees the image with the
  hole zeroed plus the mask; the losses use the raw prediction (``image_to_discriminator:
  predicted_image``); generator loss = masked L1 + adversarial + feature matching +
  high-receptive-field perceptual loss; discriminator loss = the adversarial one.
* ``saicinpainting/training/losses/feature_matching.py``: ``masked_l1_loss`` (per-pixel
  weights ``weight_known`` on known and ``weight_missing`` on hole pixels, mean over all
  elements) and ``feature_matching_loss`` (mean over the discriminator layers of the MSE
  between its activations on the prediction and on the real image).
* ``saicinpainting/training/losses/adversarial.py``: ``NonSaturatingWithR1`` with
  ``mask_as_fake_target`` (the discriminator is taught that the known region of a
  prediction is real and its hole fake, the mask resized to the logits map by nearest
  neighbour) and ``make_r1_gp`` (R1 = mean over images of the squared L2 norm of the
  gradient of the real logits' sum with respect to the real image, times ``gp_coef``).
* ``saicinpainting/training/losses/perceptual.py``: ``ResNetPL`` (sum over feature maps of
  the MSE between the ImageNet-normalised prediction's and target's features, times its
  weight). Ours: :class:`PerceptualLoss` over the frozen features of the network in use
  (the project's ImageNet VGG16 pool1-3 by default, or a user-supplied HRF network).
* ``configs/training/big-lama.yaml`` / ``lama-fourier.yaml``: weights l1 known 10 /
  missing 0, adversarial 10, gp_coef 0.001, feature matching 100, resnet_pl 30;
  ``optimizers/default_optimizers.yaml``: Adam, generator lr 1e-3, discriminator 1e-4;
  ``trainer/any_gpu_large_ssim_ddp_final.yaml``: gradient_clip_val 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from inpaint.errors import InpaintError
from inpaint.methods.lama.network import build_discriminator, build_generator
from inpaint.training import Runtime, TrainingSystem
from inpaint.training.masks import mixture_masks, to_tensor

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# ---- loss terms (all images in [0, 1]; ``hole`` 1 = missing pixel) ---------------------------
def masked_l1(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor,
              weight_known: float, weight_missing: float) -> torch.Tensor:
    """LaMa's masked L1: |pred - target| weighted per pixel, mean over every element."""
    weights = hole * weight_missing + (1 - hole) * weight_known
    return (weights * (pred - target).abs()).mean()


def feature_matching(fake: list[torch.Tensor], real: list[torch.Tensor]) -> torch.Tensor:
    """Mean over the discriminator's layers of the MSE between its activations."""
    return torch.stack([F.mse_loss(f, r) for f, r in zip(fake, real, strict=True)]).mean()


def generator_adversarial(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: softplus(-D(G(x))), mean."""
    return F.softplus(-fake_logits).mean()


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean over images of || d sum(D(real)) / d real ||^2 (with a graph, so it trains D)."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return grad.reshape(len(grad), -1).norm(2, dim=1).pow(2).mean()


def discriminator_adversarial(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                              hole: torch.Tensor) -> torch.Tensor:
    """softplus(-D(real)) + [hole: softplus(D(fake)), known: softplus(-D(fake))], mean
    (``mask_as_fake_target``: the hole mask resized to the logits map, nearest)."""
    mask = F.interpolate(hole, size=fake_logits.shape[-2:], mode="nearest")
    fake = mask * F.softplus(fake_logits) + (1 - mask) * F.softplus(-fake_logits)
    return F.softplus(-real_logits).mean() + fake.mean()


# ---- the perceptual network ------------------------------------------------------------------
class PerceptualLoss(nn.Module):
    """ResNetPL's form over any frozen feature network: sum over its feature maps of the
    MSE between the prediction's and the target's features (inputs in [0, 1]; ``net``
    receives them ImageNet-normalised when ``normalize``, grey repeated to 3 channels)."""

    def __init__(self, net: nn.Module, normalize: bool) -> None:
        super().__init__()
        self.net, self.normalize = net, normalize
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        for param in self.net.parameters():
            param.requires_grad_(False)
        self.net.eval()

    def train(self, mode: bool = True):
        return super().train(False)  # frozen: batch norm statistics never move

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if self.normalize:
            x = (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        out = self.net(x)
        if isinstance(out, torch.Tensor):
            return [out]
        if isinstance(out, dict):
            return list(out.values())
        return list(out)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            ref = self.features(target)
        feats = self.features(pred)
        return torch.stack([F.mse_loss(f.float(), r.float())
                            for f, r in zip(feats, ref, strict=True)]).sum()


class DilatedResNet50Features(nn.Module):
    """torchvision's ResNet50 with the last two stages dilated instead of strided (LaMa's
    ``resnet50dilated`` layout, output stride 8): forward(x) -> [layer1, ..., layer4]."""

    def __init__(self) -> None:
        super().__init__()
        from torchvision.models import resnet50

        net = resnet50(weights=None, replace_stride_with_dilation=[False, True, True])
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.stages = nn.ModuleList([net.layer1, net.layer2, net.layer3, net.layer4])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out, x = [], self.stem(x)
        for stage in self.stages:
            x = stage(x)
            out.append(x)
        return out


def load_hrf_network(path: Path) -> nn.Module:
    """A user-supplied HRF perceptual network from ``path``:

    * a TorchScript file (``torch.jit.save``) whose forward maps NCHW images to a tensor,
      a list/tuple of tensors or a dict of them (the feature maps compared);
    * a state dict of torchvision's ResNet50 (``conv1.weight``, ``layer1.0.conv1.weight``,
      ...; an ``fc.`` head is ignored), loaded into :class:`DilatedResNet50Features`.

    Nothing is unpickled: a state dict is read with ``weights_only=True``, so a whole
    module saved with ``torch.save(module)`` is refused (save it as TorchScript).
    """
    if not path.is_file():
        raise InpaintError(f"hrf_network: no such file {path}")
    try:
        return torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, ValueError):
        pass  # not TorchScript
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unpickling failure: one error naming the file
        raise InpaintError(f"hrf_network {path}: neither a TorchScript file nor a state "
                           f"dict of tensors (a whole module saved with torch.save is not "
                           f"loaded: save it with torch.jit.save) "
                           f"({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
    if isinstance(obj, dict):
        state = obj.get("state_dict", obj)
        state = {k.removeprefix("module."): v for k, v in state.items()
                 if not k.removeprefix("module.").startswith("fc.")}
        net = DilatedResNet50Features()
        renamed = {}
        for key, value in state.items():
            head = key.split(".")[0]
            if head in ("conv1", "bn1"):
                renamed[f"stem.{'0' if head == 'conv1' else '1'}{key[len(head):]}"] = value
            elif head.startswith("layer") and head[5:].isdigit():
                renamed[f"stages.{int(head[5:]) - 1}{key[len(head):]}"] = value
            else:
                renamed[key] = value
        try:
            net.load_state_dict(renamed, strict=True)
        except RuntimeError as exc:
            raise InpaintError(f"hrf_network {path}: not a torchvision ResNet50 state dict "
                               f"({str(exc).splitlines()[0]}); save your network as "
                               f"TorchScript instead") from None
        return net
    raise InpaintError(f"hrf_network {path}: holds a {type(obj).__name__}, not "
                       "TorchScript or a ResNet50 state dict")


def perceptual_network(kind: str, path: Path | None, device: torch.device) -> PerceptualLoss:
    """The perceptual loss network: ``vgg16`` (inpaint.pretrained.vgg, ImageNet, pool1-3)
    or ``hrf`` (the file at ``path``)."""
    if kind == "vgg16":
        from inpaint.pretrained.vgg import load_vgg16_features

        vgg = load_vgg16_features(path, "cpu")
        return PerceptualLoss(vgg, normalize=False).to(device)  # VGG16Features normalises
    net = load_hrf_network(path)
    return PerceptualLoss(net, normalize=True).to(device)


# ---- the system ------------------------------------------------------------------------------
class LamaSystem(TrainingSystem):
    """FFC-ResNet generator + NLayer discriminator; a generator then a discriminator
    step per training step on the same batch and masks."""

    loss_names = ("g_total", "l1", "g_adv", "fm", "perc", "d_adv", "r1")

    def __init__(self, runtime: Runtime, hp: dict[str, Any], channels: int, size: int,
                 perceptual: tuple[str, Path | None] | None) -> None:
        super().__init__(runtime)
        self.hp, self.size = hp, size
        self.gen = build_generator(hp, channels).to(self.device)
        self.disc = build_discriminator(hp, channels).to(self.device)
        self.modules = {"generator": self.gen, "discriminator": self.disc}
        self.optimizers = {
            "generator": torch.optim.Adam(self.gen.parameters(), lr=hp["lr"]),
            "discriminator": torch.optim.Adam(self.disc.parameters(), lr=hp["d_lr"]),
        }
        self.perc = None if perceptual is None else perceptual_network(
            perceptual[0], perceptual[1], self.device)
        self.perceptual_kind = "none" if perceptual is None else perceptual[0]
        if self.perc is None:
            self.loss_names = tuple(n for n in self.loss_names if n != "perc")

    def masks(self, n: int) -> torch.Tensor:
        """``n`` training masks (1 = known) of the ``train_masks`` mixture, from a numpy
        generator seeded by the global torch generator (saved in every checkpoint)."""
        seed = int(torch.randint(0, 2**62, (1,)).item())
        known = mixture_masks(np.random.default_rng(seed), n, self.size,
                              self.hp["train_masks"])
        return to_tensor(known, self.device)

    def _step(self, name: str, loss: torch.Tensor, module: nn.Module) -> None:
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        self.runtime.scaler.backward(loss)
        if self.hp["grad_clip"]:
            self.runtime.scaler.unscale(opt)
            nn.utils.clip_grad_norm_(module.parameters(), self.hp["grad_clip"])
        self.runtime.scaler.step(opt)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        hp = self.hp
        self.gen.train()
        self.disc.train()
        known = self.masks(len(batch))
        hole = 1 - known
        # generator step (the discriminator's parameters frozen)
        self.disc.requires_grad_(False)
        with self.runtime.autocast():
            pred = self.gen(batch, known).float()
            fake_logits, fake_feats = self.disc(pred)
            with torch.no_grad():
                _, real_feats = self.disc(batch)
        l1 = masked_l1(pred, batch, hole, hp["w_l1_known"], hp["w_l1_missing"])
        g_adv = generator_adversarial(fake_logits.float())
        fm = feature_matching([f.float() for f in fake_feats], [r.float() for r in real_feats])
        total = l1 + hp["w_adv"] * g_adv + hp["w_fm"] * fm
        perc = None
        if self.perc is not None and hp["w_perc"]:
            perc = self.perc(pred, batch)
            total = total + hp["w_perc"] * perc
        self._step("generator", total, self.gen)
        self.runtime.scaler.update()  # one scaler, two optimisers stepped this step
        # discriminator step on the same prediction, detached
        self.disc.requires_grad_(True)
        real = batch.detach().requires_grad_(bool(hp["gp_coef"]))
        with self.runtime.autocast():
            real_logits, _ = self.disc(real)
            fake_logits, _ = self.disc(pred.detach())
        d_adv = discriminator_adversarial(real_logits.float(), fake_logits.float(), hole)
        d_total = d_adv
        r1 = torch.zeros(())
        if hp["gp_coef"]:  # 0: no penalty, and no double backward spent on it
            r1 = r1_penalty(real_logits.float(), real)
            d_total = d_adv + hp["gp_coef"] * r1
        self._step("discriminator", d_total, self.disc)
        out = {"g_total": total.item(), "l1": l1.item(), "g_adv": g_adv.item(),
               "fm": fm.item(), "d_adv": d_adv.item(), "r1": r1.item()}
        if perc is not None:
            out["perc"] = perc.item()
        return out

    def extra_state(self) -> dict[str, Any]:
        return {"perceptual_network": self.perceptual_kind}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        saved = str(state.get("perceptual_network", ""))
        if saved != self.perceptual_kind:
            raise InpaintError(
                f"the checkpoint was trained with perceptual network {saved!r} but this run "
                f"has {self.perceptual_kind!r}: delete the model directory or restore the "
                f"weights")

    def sample(self, batch: torch.Tensor) -> torch.Tensor:
        rng_state = torch.get_rng_state()  # the grids must not move the training's draws
        torch.manual_seed(0)
        known = self.masks(len(batch))
        torch.set_rng_state(rng_state)
        self.gen.eval()
        out = self.gen(batch, known).float()
        self.gen.train()
        return torch.cat([batch, batch * known + (1 - known), out,
                          known * batch + (1 - known) * out])
