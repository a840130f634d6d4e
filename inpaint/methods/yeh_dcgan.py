"""yeh_dcgan: semantic inpainting with a DCGAN (Yeh et al. 2017).

Train a DCGAN on the train split; to complete a batch, search the latent space
for z* = argmin_z L_c(z) + lam * L_p(z) (importance-weighted L1 context loss,
prior log(1 - D(G(z)))), every image and restart at once, then Poisson-blend
G(z*) into the known pixels (exact sparse solve, inpaint.poisson).
``yeh_dcgan_raw`` is the same search without blending, on the same model.

Torch is imported inside the methods (the registry is imported by Snakemake).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from inpaint.data.store import load_info, load_split
from inpaint.errors import InpaintError
from inpaint.methods.base import InpaintMethod
from inpaint.methods.registry import register_method

NO_FLIP_KINDS = ("fonts", "chars74k")  # a mirrored character is a different glyph


def importance_weights(known: np.ndarray, window: int = 7) -> np.ndarray:
    """Yeh et al.'s context weights, float32 (N, H, W) for bool masks (N, H, W), True = known:

        W_i = sum_{j in N(i)} (1 - M_j) / |N(i)|   if M_i = 1, else 0,

    N(i) the ``window`` x ``window`` neighbourhood of i inside the image (|N(i)| is
    smaller at the border). Known pixels near holes weigh most; holes weigh 0.
    """
    known = np.asarray(known, dtype=bool)
    r = window // 2
    hole = np.pad((~known).astype(np.float64), ((0, 0), (r, r), (r, r)))
    inside = np.pad(np.ones(known.shape[1:]), r)
    holes = sliding_window_view(hole, (window, window), axis=(1, 2)).sum(axis=(-2, -1))
    count = sliding_window_view(inside, (window, window)).sum(axis=(-2, -1))
    return (known * holes / count).astype(np.float32)


def _positive(name: str, value, kind=int) -> None:
    if isinstance(value, bool) or not isinstance(value, kind | int) or value <= 0:
        raise InpaintError(f"yeh_dcgan: {name} must be a positive {kind.__name__}, got {value!r}")


@register_method("yeh_dcgan")
class YehDCGAN(InpaintMethod):
    """DCGAN + latent search + Poisson blending (Yeh et al. 2017)."""

    completes_raw_variant = True

    learned = True
    architecture_keys = ("nz", "base")

    def __init__(self, steps: int = 1200, batch_size: int = 64, checkpoint_every: int = 500,
                 sample_every: int = 500, log_every: int = 10, flip: bool = True,
                 nz: int = 100, base: int = 32, lr: float = 2e-4, beta1: float = 0.5,
                 search_steps: int = 100, restarts: int = 2, search_lr: float = 0.1,
                 lam: float = 0.003, window: int = 7, blend: bool = True,
                 search_seed: int = 0) -> None:
        super().__init__(
            steps=steps, batch_size=batch_size, checkpoint_every=checkpoint_every,
            sample_every=sample_every, log_every=log_every, flip=flip, nz=nz, base=base,
            lr=lr, beta1=beta1, search_steps=search_steps, restarts=restarts,
            search_lr=search_lr, lam=lam, window=window, blend=blend, search_seed=search_seed)
        for name in ("nz", "base", "restarts"):
            _positive(name, self.params[name])
        for name in ("lr", "search_lr"):
            _positive(name, self.params[name], float)
        if isinstance(search_steps, bool) or not isinstance(search_steps, int) or search_steps < 0:
            raise InpaintError(f"yeh_dcgan: search_steps must be an integer >= 0, "
                               f"got {search_steps!r}")
        if not isinstance(window, int) or window < 1 or window % 2 == 0:
            raise InpaintError(f"yeh_dcgan: window must be an odd positive integer, got {window!r}")
        if lam < 0:
            raise InpaintError(f"yeh_dcgan: lam must be >= 0, got {lam!r}")
        self.search = {"steps": search_steps, "restarts": restarts, "lr": float(search_lr),
                       "lam": float(lam), "seed": int(search_seed)}
        self.window, self.blend = window, bool(blend)
        self.generator = self.discriminator = None
        self.device = None
        self.shape: tuple[int, int] | None = None

    # ---- training -------------------------------------------------------------------------
    def fit(self, data_dir: str | os.PathLike, model_dir: str | os.PathLike, **engine) -> None:
        from inpaint.methods.yeh_dcgan_system import YehDCGANSystem
        from inpaint.training import TrainConfig, train

        info = load_info(data_dir)
        _, images = load_split(data_dir, "train")
        if len(images) == 0:
            raise InpaintError(f"{data_dir}: the train split is empty")
        p = self.params
        keys = ("steps", "batch_size", "checkpoint_every", "sample_every", "log_every",
                "nz", "base", "lr", "beta1")
        block = {k: p[k] for k in keys}
        block["flip"] = bool(p["flip"]) and info.kind not in NO_FLIP_KINDS
        config = TrainConfig.from_params(self.model_owner(), block, **engine)
        hp = config.hparams

        def build(runtime):
            return YehDCGANSystem(runtime, size=info.size, channels=info.channels, nz=hp["nz"],
                                  base=hp["base"], lr=hp["lr"], beta1=hp["beta1"])

        train(build, images, model_dir, config)

    def load(self, model_dir: str | os.PathLike, device: str = "auto") -> None:
        from inpaint.methods.model_record import trained_architecture
        from inpaint.networks.yeh_dcgan import Discriminator, Generator
        from inpaint.training import LAST_CHECKPOINT, load_weights, resolve_device

        # a config that changed nz or base is an error naming both values
        info = trained_architecture(model_dir, self, self.architecture_keys)
        size, channels = int(info["image_size"][0]), int(info["channels"])
        hp = info["hparams"]  # architecture comes from the trained model, not this config
        self.device = resolve_device(device)
        g = Generator(hp["nz"], size, channels, hp["base"])
        d = Discriminator(size, channels, hp["base"])
        load_weights(Path(model_dir) / LAST_CHECKPOINT, {"generator": g, "discriminator": d},
                     expected={"method": self.model_owner(), "image_size": [size, size],
                               "channels": channels, "config_hash": info["config_hash"]})
        for net in (g, d):
            net.to(self.device).eval()
            for param in net.parameters():
                param.requires_grad_(False)
        self.generator, self.discriminator = g, d
        self.shape = (size, channels)

    # ---- completion -----------------------------------------------------------------------
    def _check_loaded(self) -> None:
        if self.generator is None:
            raise InpaintError(f"method {self.name!r}: load() a trained model first")

    def predict(self, images: np.ndarray, known: np.ndarray) -> np.ndarray:
        guide = self._search(images, known)
        return self._blend(images, guide, known) if self.blend else guide

    def predict_with_raw(self, images: np.ndarray, known: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
        """(blended, unblended) from one latent search: yeh_dcgan and yeh_dcgan_raw."""
        if not self.blend:
            raise InpaintError(f"{self.name} does not blend: it has no raw variant")
        guide = self._search(images, known)
        return self._blend(images, guide, known), guide

    @staticmethod
    def _blend(images: np.ndarray, guide: np.ndarray, known: np.ndarray) -> np.ndarray:
        from inpaint.poisson import poisson_blend_batch

        return poisson_blend_batch(images, guide, known)

    def _search(self, images: np.ndarray, known: np.ndarray) -> np.ndarray:
        """G(z*) of the latent search, float32 (N, H, W, C) in [0, 1]."""
        import torch

        from inpaint.methods.yeh_dcgan_system import latent_search

        self._check_loaded()
        size, channels = self.shape
        if images.shape[1:] != (size, size, channels):
            raise InpaintError(f"{self.name}: the model was trained on {size}x{size}x{channels} "
                               f"images, got {'x'.join(map(str, images.shape[1:]))}")
        target = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)) * 2 - 1)
        weights = torch.from_numpy(importance_weights(known, self.window)[:, None])
        found = latent_search(self.generator, self.discriminator, target.to(self.device),
                              weights.to(self.device), **self.search)
        guide = (found.images.cpu().numpy().transpose(0, 2, 3, 1) + 1) / 2
        return np.clip(guide, 0.0, 1.0).astype(np.float32)

    def generate(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` samples G(z), z uniform in [-1, 1]: float32 (n, H, W, C) in [0, 1]."""
        import torch

        from inpaint.methods.yeh_dcgan_system import uniform_z

        self._check_loaded()
        with torch.no_grad():
            out = self.generator(uniform_z(n, self.generator.nz, seed, self.device))
        return ((out.cpu().numpy().transpose(0, 2, 3, 1) + 1) / 2).clip(0, 1).astype(np.float32)

    def generate_grid(self, path: str | os.PathLike, n: int = 64, seed: int = 0,
                      nrow: int = 8) -> None:
        """Save a grid PNG of ``n`` samples, ``nrow`` a row."""
        import torch

        from inpaint.training.plots import save_sample_grid

        if n < 1:
            raise InpaintError(f"generate: n must be at least 1, got {n}")
        images = torch.from_numpy(self.generate(n, seed).transpose(0, 3, 1, 2))
        save_sample_grid(images, path, nrow=nrow)


@register_method("yeh_dcgan_raw")
class YehDCGANRaw(YehDCGAN):
    """yeh_dcgan without Poisson blending: G(z*) pasted into the hole as it is."""

    shares_model_with = "yeh_dcgan"
    completes_raw_variant = False

    def __init__(self, **params) -> None:
        if "blend" in params:
            raise TypeError("yeh_dcgan_raw got an unexpected keyword argument 'blend' "
                            "(it never blends; use yeh_dcgan)")
        super().__init__(**params, blend=False)
