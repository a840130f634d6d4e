"""GPU-only decisions (channels_last, pinned memory, cuDNN, AMP) tested on the CPU.

The decision functions take a device, so the CUDA branch is checked with a
torch.device("cuda") object without needing a GPU; the CPU path runs the same
code with every GPU option off. A real CUDA run is the `gpu`-marked test.
"""

import numpy as np
import pytest
import torch

from inpaint.training import ImageSampler, TrainConfig, TrainingSystem, make_runtime, train
from inpaint.training.device import (
    AmpPolicy,
    choose_amp,
    choose_memory_format,
    use_pinned_memory,
)

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


def test_memory_format_and_pinning_decisions():
    assert choose_memory_format(CUDA, choose_amp(CUDA, "fp16")) == torch.channels_last
    assert choose_memory_format(CUDA, AmpPolicy()) == torch.contiguous_format
    assert choose_memory_format(CPU, choose_amp(CPU, "auto")) == torch.contiguous_format
    assert use_pinned_memory(CUDA)
    assert not use_pinned_memory(CPU)


def test_cpu_runtime_keeps_the_plain_path():
    before = torch.backends.cudnn.benchmark
    rt = make_runtime("cpu", threads=1)
    assert rt.memory_format == torch.contiguous_format
    assert not rt.amp.enabled
    assert not rt.scaler.enabled
    assert torch.backends.cudnn.benchmark == before


def test_channels_last_batches_hold_the_same_values():
    images = (np.random.default_rng(0).random((6, 8, 8, 3)) * 255).astype(np.uint8)
    plain = ImageSampler(images, 4, seed=1)
    last = ImageSampler(images, 4, seed=1, memory_format=torch.channels_last)
    a, b = plain.batch(1), last.batch(1)
    assert b.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(a, b)


class _Fill(TrainingSystem):
    loss_names = ("l1",)

    def __init__(self, rt):
        super().__init__(rt)
        self.net = torch.nn.Conv2d(3, 3, 3, padding=1).to(rt.device)
        self.modules = {"net": self.net}
        self.optimizers = {"adam": torch.optim.Adam(self.net.parameters(), 1e-2)}

    def train_step(self, batch, step):
        with self.runtime.autocast():
            loss = (self.net(batch * 0.5) - batch).abs().mean()
        self.optimizers["adam"].zero_grad()
        self.runtime.scaler.backward(loss)
        self.runtime.scaler.step(self.optimizers["adam"])
        return {"l1": loss.item()}

    def sample(self, batch):
        return torch.cat([batch, self.net(batch)])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_training_with_amp_channels_last_and_pinned_batches(tmp_path):
    images = (np.random.default_rng(0).random((16, 16, 16, 3)) * 255).astype(np.uint8)
    result = train(_Fill, images, tmp_path,
                   TrainConfig(method="toy", steps=20, batch_size=8, device="cuda",
                               log_every=5, sample_every=0))
    assert result.step == 20
    log = (tmp_path / "train_log.csv").read_text().splitlines()
    assert log[0].endswith("seconds,images_per_s,peak_gpu_mb")
    assert all(line.split(",")[-1] != "" for line in log[1:])
