"""yeh_dcgan: semantic inpainting with a DCGAN (Yeh et al. 2017).

Train a DCGAN on the train split; to complete a batch, search the latent space
for z* = argmin_z L_c(z) + lam * L_p(z) (importance-weighted L1 context loss,
prior log(1 - D(G(z)))), every image and restart at once, then Poisson-blend
G(z*) into the known pixels (exact sparse solve, inpaint.poisson).
``yeh_dcgan_raw`` is the same search without blending, on the same model.

Layout: ``network`` (DCGAN generator and discriminator), ``system`` (DCGAN training and
the latent search), ``importance`` (the context-loss weights, torch-free). Torch is
imported inside the methods (the registry is imported by Snakemake).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from inpaint.errors import InpaintError
from inpaint.methods.learned import LearnedMethod
from inpaint.methods.registry import register_method
from inpaint.methods.yeh_dcgan.importance import importance_weights

__all__ = ["YehDCGAN", "YehDCGANRaw", "importance_weights"]


def _positive(name: str, value, kind=int) -> None:
    if isinstance(value, bool) or not isinstance(value, kind | int) or value <= 0:
        raise InpaintError(f"yeh_dcgan: {name} must be a positive {kind.__name__}, got {value!r}")


@register_method("yeh_dcgan")
class YehDCGAN(LearnedMethod):
    """DCGAN + latent search + Poisson blending (Yeh et al. 2017)."""

    completes_raw_variant = True
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

    # ---- training -------------------------------------------------------------------------
    def hparams(self, info) -> dict[str, Any]:
        """The DCGAN's: the latent search's settings are not trained with."""
        return {k: self.params[k] for k in ("nz", "base", "lr", "beta1")}

    def make_system(self, runtime, hp, info, config):
        from inpaint.methods.yeh_dcgan.system import YehDCGANSystem

        return YehDCGANSystem(runtime, size=info.size, channels=info.channels, nz=hp["nz"],
                              base=hp["base"], lr=hp["lr"], beta1=hp["beta1"])

    # ---- completion -----------------------------------------------------------------------
    def build_networks(self, hp, size: int, channels: int) -> dict:
        from inpaint.methods.yeh_dcgan.network import Discriminator, Generator

        return {"generator": Generator(hp["nz"], size, channels, hp["base"]),
                "discriminator": Discriminator(size, channels, hp["base"])}

    @property
    def generator(self):
        return self.networks.get("generator")

    @property
    def discriminator(self):
        return self.networks.get("discriminator")

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

        from inpaint.methods.yeh_dcgan.system import latent_search

        self.check_loaded()
        self.check_input(images)
        target = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)) * 2 - 1)
        weights = torch.from_numpy(importance_weights(known, self.window)[:, None])
        found = latent_search(self.generator, self.discriminator, target.to(self.device),
                              weights.to(self.device), **self.search)
        guide = (found.images.cpu().numpy().transpose(0, 2, 3, 1) + 1) / 2
        return np.clip(guide, 0.0, 1.0).astype(np.float32)

    def generate(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` samples G(z), z uniform in [-1, 1]: float32 (n, H, W, C) in [0, 1]."""
        import torch

        from inpaint.methods.yeh_dcgan.system import uniform_z

        self.check_loaded()
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
