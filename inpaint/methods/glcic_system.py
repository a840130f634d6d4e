"""Training system, fit and inference of glcic / glcic_raw (imports torch)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from inpaint.data.store import load_info, load_split
from inpaint.errors import InpaintError
from inpaint.methods.glcic import (
    GLCIC,
    NO_FLIP_KINDS,
    patch_origins,
    phase_at,
    phase_lengths,
    record_postprocess,
)
from inpaint.networks.glcic import CompletionNet, Discriminator
from inpaint.training import (
    LAST_CHECKPOINT,
    Runtime,
    TrainConfig,
    TrainingSystem,
    derive_seed,
    load_weights,
    resolve_device,
    train,
)
from inpaint.training.distributed import current as current_world
from inpaint.training.masks import mixture_masks, to_tensor

_MASK_STREAM = 5  # derive_seed(seed, _MASK_STREAM, step): the training masks of a step
_SAMPLE_STREAM = 6  # the masks of the sample grids
_ENGINE_KEYS = ("steps", "batch_size", "checkpoint_every", "sample_every", "log_every")


def crop(images: torch.Tensor, origins: np.ndarray, patch: int) -> torch.Tensor:
    """The ``patch`` x ``patch`` windows at ``origins`` (N, 2) of images (N, C, H, W)."""
    return torch.stack([img[:, top:top + patch, left:left + patch]
                        for img, (top, left) in zip(images, origins.tolist(), strict=True)])


def build_net(hp: dict[str, Any], channels: int, mean=None) -> CompletionNet:
    return CompletionNet(channels, hp["width"], hp["downsamples"], hp["dilations"], mean)


class GLCICSystem(TrainingSystem):
    """Completion network + global/local discriminator, the paper's three phases."""

    loss_names = ("mse", "d", "g_adv")

    def __init__(self, runtime: Runtime, hp: dict[str, Any], channels: int, size: int,
                 mean: list[float]) -> None:
        super().__init__(runtime)
        self.hp, self.size, self.patch = hp, size, size // 2
        self.net = build_net(hp, channels, mean).to(self.device)
        self.disc = Discriminator(channels, size, hp["d_width"]).to(self.device)
        self.modules = {"completion": self.net, "discriminator": self.disc}
        self.optimizers = {name: self._optimizer(module) for name, module in self.modules.items()}
        self.train_masks = hp["train_masks"]

    def _optimizer(self, module: torch.nn.Module) -> torch.optim.Optimizer:
        if self.hp["optimizer"] == "adadelta":
            return torch.optim.Adadelta(module.parameters(), lr=self.hp["lr"])
        return torch.optim.Adam(module.parameters(), lr=self.hp["lr"], betas=(0.5, 0.999))

    def phase(self, step: int) -> str:
        return phase_at(step, self.hp["completion_steps"], self.hp["discriminator_steps"])

    def _masks(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return mixture_masks(rng, n, self.size, self.train_masks)

    def _complete(self, batch: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        with self.runtime.autocast():
            out = self.net(batch, known).float()
        return out * (1 - known) + batch * known

    def _logits(self, images: torch.Tensor, origins: np.ndarray) -> torch.Tensor:
        with self.runtime.autocast():
            return self.disc(images, crop(images, origins, self.patch)).float()

    def _step(self, name: str, loss: torch.Tensor) -> None:
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        self.runtime.scaler.backward(loss)
        self.runtime.scaler.step(opt)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        phase = self.phase(step)
        rng = np.random.default_rng(derive_seed(self.runtime.seed, _MASK_STREAM, step))
        known_np = self._masks(rng, len(batch))
        known = to_tensor(known_np, self.device)
        hole = 1 - known
        fake_at = patch_origins(known_np, self.patch)
        real_at = rng.integers(0, self.size - self.patch + 1, size=(len(batch), 2))
        losses: dict[str, float] = {}
        if phase == "discriminator":
            with torch.no_grad():
                comp = self._complete(batch, known)
        else:
            comp = self._complete(batch, known)
            # weighted MSE: squared error on the hole, averaged over hole pixels
            mse = ((comp - batch) ** 2 * hole).sum() / (hole.sum() * batch.shape[1]).clamp(min=1)
            losses["mse"] = mse.item()
        if phase != "completion":
            real, fake = self._logits(batch, real_at), self._logits(comp.detach(), fake_at)
            d_loss = 0.5 * (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
            self._step("discriminator", d_loss)
            losses["d"] = d_loss.item()
        if phase == "joint":
            logit = self._logits(comp, fake_at)
            adv = F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
            losses["g_adv"] = adv.item()
            mse = mse + self.hp["alpha"] * adv
        if phase != "discriminator":
            self._step("completion", mse)
        return losses

    def sample(self, batch: torch.Tensor) -> torch.Tensor:
        rng = np.random.default_rng(derive_seed(self.runtime.seed, _SAMPLE_STREAM))
        known = to_tensor(self._masks(rng, len(batch)), self.device)
        mean = self.net.mean.to(batch.dtype)
        return torch.cat([batch, batch * known + mean * (1 - known), self._complete(batch, known)])


def fit_glcic(method: GLCIC, data_dir: str | os.PathLike, model_dir: str | os.PathLike,
              engine: dict[str, Any]) -> None:
    """Train ``method`` on the TRAIN split of a prepared dataset into ``model_dir``."""
    p = method.params
    info = load_info(data_dir)
    _, images = load_split(data_dir, "train")
    if len(images) == 0:
        raise InpaintError(f"{data_dir}: the train split is empty; glcic needs training images")
    size = info.size
    factor = 2 ** p["downsamples"]
    patch = size // 2
    if size % factor or patch < 8 or patch & (patch - 1):
        raise InpaintError(
            f"methods.{method.name}: image size {size} of {data_dir} does not fit: glcic needs a "
            f"power of two >= 16 (local patch = half the side) divisible by 2**downsamples "
            f"= {factor}"
        )
    tc, td = phase_lengths(p["steps"], p["completion_steps"], p["discriminator_steps"])
    hp = {
        "width": p["width"], "d_width": p["d_width"], "downsamples": p["downsamples"],
        "dilations": list(p["dilations"]), "alpha": float(p["alpha"]),
        "completion_steps": tc, "discriminator_steps": td, "optimizer": p["optimizer"],
        "lr": method.lr_value(), "train_masks": list(p["train_masks"]),
    }
    params = {**hp, **{k: p[k] for k in _ENGINE_KEYS},
              "flip": bool(p["flip"]) and info.kind not in NO_FLIP_KINDS}
    config = TrainConfig.from_params(method.model_owner(), params, **engine)
    train(lambda rt: GLCICSystem(rt, hp, info.channels, size, info.mean), images, model_dir,
          config)
    if current_world().main:  # rank 0 wrote model.json: add glcic's post-processing to it
        record_postprocess(model_dir, size, p["classical_band"])


class _Model:
    """A loaded completion network: raw predictions for batches of float NHWC images."""

    def __init__(self, net: CompletionNet, device: torch.device, size: list[int],
                 channels: int) -> None:
        self.net, self.device, self.size, self.channels = net.eval(), device, size, channels

    def predict(self, images: np.ndarray, known: np.ndarray) -> np.ndarray:
        if list(images.shape[1:3]) != self.size or images.shape[3] != self.channels:
            raise InpaintError(
                f"glcic model was trained on {self.size[0]}x{self.size[1]}x{self.channels} "
                f"images, got {images.shape[1]}x{images.shape[2]}x{images.shape[3]}"
            )
        x = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2))).float()
        k = to_tensor(known)
        with torch.no_grad():
            out = self.net(x.to(self.device), k.to(self.device))
        return out.permute(0, 2, 3, 1).cpu().numpy().astype(np.float32)


def load_glcic(method: GLCIC, model_dir: str | os.PathLike, device: str) -> _Model:
    """The completion network of a finished training run (architecture from model.json)."""
    from inpaint.methods.model_record import trained_architecture

    model_dir = Path(model_dir)
    owner = method.model_owner()
    info = trained_architecture(model_dir, method, method.architecture_keys)
    net = build_net(info["hparams"], int(info["channels"]))
    load_weights(model_dir / LAST_CHECKPOINT, {"completion": net},
                 expected={"method": owner, "image_size": info["image_size"],
                           "channels": info["channels"], "config_hash": info["config_hash"]})
    torch_device = resolve_device(device)
    return _Model(net.to(torch_device), torch_device, list(info["image_size"]),
                  int(info["channels"]))
