"""The torch side of yeh_dcgan: DCGAN training system and the batched latent search.

Imported lazily by inpaint.methods.yeh_dcgan (importing the method registry must not
import torch). Images are in [-1, 1] here, NCHW; masks are float, 1 = known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from inpaint.masks import center_mask, pixels_mask
from inpaint.methods.yeh_dcgan.importance import importance_weights
from inpaint.methods.yeh_dcgan.network import Discriminator, Generator
from inpaint.training import Runtime, TrainingSystem

SAMPLE_SEARCH = {"steps": 100, "restarts": 1, "lr": 0.05, "lam": 0.003}  # sample grids only


@dataclass(frozen=True)
class SearchResult:
    """Best restart per image: G(z*) (N, C, H, W) in [-1, 1], z* (N, nz), L_c(z*) (N,)."""

    images: torch.Tensor
    z: torch.Tensor
    context_loss: torch.Tensor


def context_loss(out: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """L_c = || W (.) (G(z) - y) ||_1 per image (N,); W (N, 1, H, W) is shared by the channels."""
    return (weights * (out - target)).abs().flatten(1).sum(1)


def prior_loss(logits: torch.Tensor) -> torch.Tensor:
    """L_p = log(1 - D(G(z))) per image, with D = sigmoid(logit): -softplus(logit)."""
    return -F.softplus(logits.float())


def uniform_z(n: int, nz: int, seed: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``n`` latent vectors uniform in [-1, 1] from a generator seeded with ``seed``."""
    gen = torch.Generator().manual_seed(int(seed))
    return (torch.rand(n, nz, generator=gen) * 2 - 1).to(device)


def latent_search(generator: Generator, discriminator: Discriminator, target: torch.Tensor,
                  weights: torch.Tensor, *, steps: int, restarts: int = 1, lr: float = 0.03,
                  lam: float = 0.003, seed: int = 0,
                  z0: torch.Tensor | None = None) -> SearchResult:
    """z* = argmin_z L_c(z) + lam * L_p(z), z in [-1, 1], for every image of the batch at once.

    All ``restarts`` x N latent vectors are optimised together with Adam (each
    image's loss depends on its own z only, so this equals a per-image loop);
    z is clipped to [-1, 1] after every step, and each image keeps the restart
    with the lowest final context loss. The networks must be in eval mode. Row r * N + i
    of the starting latents (``z0``, default uniform from ``seed``) is restart r of image i.
    """
    n = target.shape[0]
    if z0 is None:
        z0 = uniform_z(restarts * n, generator.nz, seed, target.device)
    z = z0.detach().clone().requires_grad_(True)
    y, w = target.repeat(restarts, 1, 1, 1), weights.repeat(restarts, 1, 1, 1)
    optimizer = torch.optim.Adam([z], lr=lr)
    with torch.enable_grad():
        for _ in range(steps):
            out = generator(z)
            loss = context_loss(out, y, w) + lam * prior_loss(discriminator(out))
            (z.grad,) = torch.autograd.grad(loss.sum(), [z])  # no weight gradients
            optimizer.step()
            with torch.no_grad():
                z.clamp_(-1.0, 1.0)
    with torch.no_grad():
        out = generator(z)
        losses = context_loss(out, y, w).view(restarts, n)
        best = losses.argmin(0)
        pick = best * n + torch.arange(n, device=best.device)
        return SearchResult(out[pick], z.detach()[pick], losses[best, torch.arange(n)])


class YehDCGANSystem(TrainingSystem):
    """DCGAN with the standard non-saturating loss; Adam(lr, beta1) for both networks."""

    value_range = (-1.0, 1.0)
    loss_names = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, runtime: Runtime, *, size: int, channels: int, nz: int, base: int,
                 lr: float, beta1: float) -> None:
        super().__init__(runtime)
        self.nz = nz
        self.g = Generator(nz, size, channels, base).to(self.device)
        self.d = Discriminator(size, channels, base).to(self.device)
        self.modules = {"generator": self.g, "discriminator": self.d}
        betas = (beta1, 0.999)
        self.optimizers = {"g": torch.optim.Adam(self.g.parameters(), lr, betas=betas),
                           "d": torch.optim.Adam(self.d.parameters(), lr, betas=betas)}

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        rt, opt_g, opt_d = self.runtime, self.optimizers["g"], self.optimizers["d"]
        z = torch.rand(batch.shape[0], self.nz, device=self.device) * 2 - 1
        with rt.autocast():
            fake = self.g(z)
            real_logit, fake_logit = self.d(batch).float(), self.d(fake.detach()).float()
        d_loss = F.softplus(-real_logit).mean() + F.softplus(fake_logit).mean()
        opt_d.zero_grad(set_to_none=True)
        rt.scaler.backward(d_loss)
        rt.scaler.step(opt_d)
        with rt.autocast():
            g_loss = F.softplus(-self.d(fake).float()).mean()  # non-saturating: -log D(G(z))
        opt_g.zero_grad(set_to_none=True)
        rt.scaler.backward(g_loss)
        rt.scaler.step(opt_g)
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
                "d_real": torch.sigmoid(real_logit).mean().item(),
                "d_fake": torch.sigmoid(fake_logit).mean().item()}

    def sample(self, batch: torch.Tensor) -> torch.Tensor:
        """Rows: real / corrupted (center and 80% pixel masks, alternating) / completed by a
        short latent search (unblended) / random samples G(z)."""
        n, _, size, _ = batch.shape
        rng = np.random.default_rng(0)
        known = np.stack([center_mask(size) if i % 2 == 0 else pixels_mask(rng, size)
                          for i in range(n)])
        m = torch.from_numpy(known[:, None].astype(np.float32)).to(batch.device)
        w = torch.from_numpy(importance_weights(known)[:, None]).to(batch.device)
        found = latent_search(self.g, self.d, batch, w, seed=0, **SAMPLE_SEARCH)
        completed = m * batch + (1 - m) * found.images
        samples = self.g(uniform_z(n, self.nz, seed=1, device=batch.device))
        return torch.cat([batch, m * batch, completed, samples])
