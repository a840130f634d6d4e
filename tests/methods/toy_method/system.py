"""toy_fill's training system: L1 on the holes of random pixel masks, Adam."""

from __future__ import annotations

from typing import Any

import torch

from inpaint.training import Runtime, TrainingSystem

from .network import ToyFillNet


class ToyFillSystem(TrainingSystem):
    loss_names = ("l1",)  # the columns of train_log.csv

    def __init__(self, runtime: Runtime, hp: dict[str, Any], channels: int, size: int) -> None:
        super().__init__(runtime)
        self.hp, self.size = hp, size
        self.net = ToyFillNet(channels, hp["width"]).to(self.device)
        self.modules = {"net": self.net}  # saved in last.pt under these names
        self.optimizers = {"adam": torch.optim.Adam(self.net.parameters(), lr=hp["lr"])}

    def masks(self, n: int) -> torch.Tensor:
        """Random pixel masks (1 = known) from torch's global generator, whose state every
        checkpoint saves: a resumed run draws what an uninterrupted one would."""
        return (torch.rand(n, 1, self.size, self.size, device=self.device)
                >= self.hp["hole_share"]).float()

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        known = self.masks(len(batch))
        with self.runtime.autocast():
            out = self.net(batch, known).float()
        hole = 1 - known
        loss = ((out - batch).abs() * hole).sum() / (hole.sum() * batch.shape[1]).clamp(min=1)
        opt = self.optimizers["adam"]
        opt.zero_grad(set_to_none=True)
        self.runtime.scaler.backward(loss)
        self.runtime.scaler.step(opt)
        return {"l1": loss.item()}

    def sample(self, batch: torch.Tensor) -> torch.Tensor:
        """Rows: real, corrupted (holes black), completed."""
        known = self.masks(len(batch))
        out = self.net(batch, known)
        return torch.cat([batch, batch * known, batch * known + out * (1 - known)])
