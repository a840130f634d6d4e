"""Mask kind ``folder``: masks read from a user's folder of PNG files."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from inpaint.errors import InpaintError
from inpaint.io import read_mask
from inpaint.masks import build_maskset, check_params, generate_maskset
from inpaint.masks.folder import hole_bin

IDS = [f"img{i:02d}" for i in range(6)]


def write_masks(folder, names, size=64, hole_white=True, seed=0):
    """Square masks with a random rectangular hole; white = hole when hole_white."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    holes = {}
    for name in names:
        hole = np.zeros((size, size), bool)
        top, left = rng.integers(0, size // 2, size=2)
        side = int(rng.integers(size // 8, size // 2))
        hole[top:top + side, left:left + side] = True
        arr = np.where(hole == hole_white, 255, 0).astype(np.uint8)
        Image.fromarray(arr).save(folder / f"{name}.png")
        holes[name] = hole
    return holes


def params(folder, **kw):
    return {"kind": "folder", "path": str(folder), **kw}


def test_nvidia_style_set_inverted_resized_and_seeded(tmp_path):
    holes = write_masks(tmp_path / "nv", [f"{k:05d}" for k in range(10)], size=64)
    out = tmp_path / "out"
    manifest = build_maskset(out, IDS, 32, "d", "nv", params(tmp_path / "nv", invert=True), 0)
    assert list(manifest.columns) == ["image_id", "hole_ratio", "source", "assignment", "bin"]
    assert (manifest.assignment == "seeded").all()
    assert manifest.source.is_unique  # no mask used twice
    for row in manifest.itertuples():
        known = read_mask(out / f"{row.image_id}.png", (32, 32))
        expected = ~holes[row.source[:-4]][::2, ::2]  # nearest neighbour 64 -> 32
        assert np.array_equal(known, expected)
        assert row.hole_ratio == pytest.approx(1 - known.mean())
        assert row.bin == hole_bin(row.hole_ratio)
    assert pd.read_csv(out / "manifest.csv").equals(manifest)
    # same seed: same assignment in any order; another seed: another one
    again = generate_maskset(IDS[::-1], 32, "d", "nv", params(tmp_path / "nv", invert=True), 0)
    assert all(np.array_equal(again[i], read_mask(out / f"{i}.png")) for i in IDS)
    other = build_maskset(tmp_path / "o", IDS, 32, "d", "nv", params(tmp_path / "nv"), 1)
    assert list(other.source) != list(manifest.source)


def test_names_matching_test_ids_are_used_by_name(tmp_path):
    holes = write_masks(tmp_path / "m", [*IDS[:3], "zz1", "zz2", "zz3", "zz4"], size=32,
                        hole_white=False)
    manifest = build_maskset(tmp_path / "out", IDS, 32, "d", "m", params(tmp_path / "m"), 0)
    by_id = manifest.set_index("image_id")
    for image_id in IDS[:3]:
        assert by_id.loc[image_id, "source"] == f"{image_id}.png"
        assert by_id.loc[image_id, "assignment"] == "name"
        assert np.array_equal(read_mask(tmp_path / "out" / f"{image_id}.png"), ~holes[image_id])
    assert set(by_id.loc[IDS[3:], "assignment"]) == {"seeded"}
    assert set(by_id.loc[IDS[3:], "source"]) <= {"zz1.png", "zz2.png", "zz3.png", "zz4.png"}


def test_threshold_binarises_and_grey_rgb_is_accepted(tmp_path):
    folder = tmp_path / "g"
    folder.mkdir()
    arr = np.full((32, 32), 250, np.uint8)
    arr[:8] = 3  # JPEG-like near-black hole rows
    Image.fromarray(arr).save(folder / "a.png")
    Image.fromarray(np.stack([arr] * 3, axis=-1)).save(folder / "b.png")
    with pytest.raises(InpaintError, match=r"a\.png is not binary.*\[3, 250\].*threshold"):
        generate_maskset(["x"], 32, "d", "g", params(folder), 0)
    masks = generate_maskset(["x", "y"], 32, "d", "g", params(folder, threshold=128), 0)
    for known in masks.values():
        assert (1 - known.mean()) == pytest.approx(0.25)
        assert not known[:8].any() and known[8:].all()  # noqa: PT018


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "mask folder not found"),
        ("empty", "holds no .png file"),
        ("few", r"3 mask files for 6 test images.*every test image needs its own mask"),
        ("rgba", r"mode 'RGBA'"),
        ("colour", "colour RGB image"),
        ("oblong", r"32x16: masks must be square"),
        ("noresize", "resize is off"),
    ],
)
def test_bad_folders_fail_clearly_without_output(tmp_path, setup, message):
    folder, extra = tmp_path / "m", {}
    if setup == "empty":
        folder.mkdir()
        (folder / "notes.txt").write_text("no masks here")
    elif setup == "few":
        write_masks(folder, ["a", "b", "c"], size=32)
    elif setup in ("rgba", "colour", "oblong"):
        write_masks(folder, [f"m{k}" for k in range(6)], size=32)
        bad = {"rgba": np.zeros((32, 32, 4), np.uint8),
               "colour": np.stack([np.zeros((32, 32)), np.full((32, 32), 255),
                                   np.zeros((32, 32))], axis=-1).astype(np.uint8),
               "oblong": np.zeros((16, 32), np.uint8)}[setup]
        Image.fromarray(bad).save(folder / "m3.png")
    elif setup == "noresize":
        write_masks(folder, [f"m{k}" for k in range(6)], size=64)
        extra = {"resize": False}
    out = tmp_path / "out"
    with pytest.raises(InpaintError, match=message):
        build_maskset(out, IDS, 32, "d", "m", params(folder, **extra), 0)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ([] if setup == "missing" else ["m"])


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"kind": "folder"}, r"masks\.f\.path: kind 'folder' needs"),
        ({"kind": "folder", "path": "m", "invert": "yes"}, r"masks\.f\.invert"),
        ({"kind": "folder", "path": "m", "threshold": 300}, r"masks\.f\.threshold"),
        ({"kind": "folder", "path": "m", "p": 0.5}, r"unknown key\(s\) \['p'\]"),
        ({"kind": "folder", "path": "../outside"}, "leads outside the project"),
    ],
)
def test_bad_folder_blocks_name_the_key(block, message):
    with pytest.raises(InpaintError, match=message):
        check_params("f", block)


def test_bins_are_nvidias():
    assert hole_bin(0.005) == "[0, 0.01]"
    assert hole_bin(0.05) == "(0.01, 0.1]"
    assert hole_bin(0.1) == "(0.01, 0.1]"
    assert hole_bin(0.55) == "(0.5, 0.6]"
    assert hole_bin(0.7) == "(0.6, 1]"


def test_make_masks_cli_reads_a_folder_and_fails_cleanly(tmp_path, capsys):
    import json

    from inpaint.cli import main
    from inpaint.data.store import DatasetInfo, Split, save_dataset

    images = np.zeros((4, 16, 16, 1), np.uint8)
    save_dataset(tmp_path / "data", DatasetInfo("toy", "fonts", "toy", 16, 1),
                 {name: Split([f"{name}{i}" for i in range(4)], images, ["s"] * 4)
                  for name in ("train", "val", "test")})
    write_masks(tmp_path / "nv", [f"{k:05d}" for k in range(5)], size=32)
    args = ["make-masks", "--data", str(tmp_path / "data"), "--dataset", "toy",
            "--maskset", "nv", "--seed", "0"]
    good = json.dumps(params(tmp_path / "nv", invert=True))
    assert main([*args, "--params", good, "--out", str(tmp_path / "ok")]) == 0
    manifest = pd.read_csv(tmp_path / "ok" / "manifest.csv")
    assert list(manifest.columns) == ["image_id", "hole_ratio", "source", "assignment", "bin"]
    assert len(manifest) == 4
    capsys.readouterr()
    few = tmp_path / "few"
    write_masks(few, ["a", "b"], size=16)
    code = main([*args, "--params", json.dumps(params(few)), "--out", str(tmp_path / "bad")])
    assert code == 2
    assert "2 mask files for 4 test images" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
