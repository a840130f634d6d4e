"""The verifiable, exportable benchmark folder (inpaint.benchmark_manifest)."""

import json
import shutil
import time

import numpy as np
import pandas as pd
import pytest

from inpaint.benchmark_manifest import build_benchmark, verify_benchmark
from inpaint.cli import main
from inpaint.data.store import load_split
from inpaint.errors import InpaintError
from inpaint.io import read_mask, save_png, sha256_file
from inpaint.masks import build_maskset

SIZE = 16
MASKS = {"box": {"kind": "box"}, "irregular": {"kind": "irregular"}}


def generate(root, toy_blocks_dataset):
    """A clean generation: dataset, mask sets and benchmark folder under ``root``."""
    data = toy_blocks_dataset(root / "data" / "toy", SIZE)
    ids, _ = load_split(data, "test")
    mask_dirs = {}
    for name, block in MASKS.items():
        mask_dirs[name] = root / "masks" / "toy" / name
        build_maskset(mask_dirs[name], ids, SIZE, "toy", name, block, seed=3)
    bench = root / "benchmark" / "toy"
    build_benchmark(data, mask_dirs, MASKS, 3, bench)
    return bench


@pytest.fixture
def bench(tmp_path, toy_blocks_dataset):
    return generate(tmp_path / "a", toy_blocks_dataset)


def test_manifest_is_byte_identical_from_two_clean_generations(tmp_path, toy_blocks_dataset):
    first = generate(tmp_path / "a", toy_blocks_dataset)
    time.sleep(2.1)  # the test.npz files' zip timestamps differ; the manifest must not
    second = generate(tmp_path / "b", toy_blocks_dataset)
    assert (first / "manifest.csv").read_bytes() == (second / "manifest.csv").read_bytes()
    manifest = pd.read_csv(first / "manifest.csv")
    assert manifest.kind.value_counts().to_dict() == {
        "info": 1, "test_npz": 1, "image": 4, "mask": 8, "mask_manifest": 2}
    masks = manifest[manifest.kind == "mask"]
    assert set(masks.generator) == {"box", "irregular"}
    assert (masks.seed == 3).all()
    assert (manifest.version == "0.1.0").all()
    params = json.loads(masks[masks.maskset == "box"].params.iloc[0])
    assert params["kind"] == "box"
    assert "max_boxes" in params  # full parameters, not the block
    # hole ratios agree with the mask set's own manifest
    own = pd.read_csv(tmp_path / "a/masks/toy/irregular/manifest.csv").set_index("image_id")
    mine = masks[masks.maskset == "irregular"].set_index("image_id").hole_ratio
    assert np.allclose(mine.sort_index(), own.hole_ratio.sort_index())


def test_verify_passes_on_intact_and_exported_folder(bench, tmp_path):
    assert verify_benchmark(bench) == 16
    exported = tmp_path / "elsewhere" / "toy"
    shutil.copytree(bench, exported)
    shutil.rmtree(tmp_path / "a")  # nothing of the workflow left
    assert verify_benchmark(exported) == 16


def test_changed_mask_byte_is_named(bench):
    path = bench / "masks/box/t2.png"
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    named = r"masks/box/t2\.png: sha256 differs: expected [0-9a-f]{64}, found [0-9a-f]{64}"
    with pytest.raises(InpaintError, match=named):
        verify_benchmark(bench)


def test_valid_png_with_other_hole_ratio_is_named(bench):
    """A mask rewritten as a valid PNG with one pixel flipped: the sha256 is named first;
    with the manifest's sha256 also updated, the hole ratio still catches it."""
    path = bench / "masks/irregular/t1.png"
    known = read_mask(path)
    known[0, 0] = not known[0, 0]
    save_png(path, np.where(known, 255, 0).astype(np.uint8))
    with pytest.raises(InpaintError, match=r"masks/irregular/t1\.png: sha256"):
        verify_benchmark(bench)
    manifest = pd.read_csv(bench / "manifest.csv", dtype=str, keep_default_na=False)
    manifest.loc[manifest.file == "masks/irregular/t1.png", "sha256"] = sha256_file(path)
    manifest.to_csv(bench / "manifest.csv", index=False)
    with pytest.raises(InpaintError, match=r"masks/irregular/t1\.png: hole_ratio differs"):
        verify_benchmark(bench)


def test_missing_file_is_named(bench):
    (bench / "data/test/t3.png").unlink()
    with pytest.raises(InpaintError, match=r"data/test/t3\.png: missing"):
        verify_benchmark(bench)


def test_changed_test_image_in_npz_is_named(bench):
    ids, images = load_split(bench / "data", "test")
    images = images.copy()
    images[0, 0, 0, 0] ^= 1
    np.savez(bench / "data/test.npz", images=images, ids=np.array(ids, dtype=str))
    with pytest.raises(InpaintError, match=r"data/test\.npz: pixel_sha256 differs"):
        verify_benchmark(bench)


def test_cli_exit_codes(tmp_path, toy_blocks_dataset, capsys):
    data = toy_blocks_dataset(tmp_path / "data", SIZE)
    ids, _ = load_split(data, "test")
    build_maskset(tmp_path / "masks" / "box", ids, SIZE, "toy", "box", {"kind": "box"}, seed=0)
    out = tmp_path / "bench"
    args = ["benchmark-manifest", "--data", str(data), "--masks", str(tmp_path / "masks/box"),
            "--mask-params", json.dumps(MASKS), "--seed", "0", "--out", str(out)]
    assert main(args) == 0
    assert main(["verify-benchmark", str(out), "--out", str(tmp_path / "ok.txt")]) == 0
    assert "all 11 files match" in (tmp_path / "ok.txt").read_text()
    (out / "masks/box/t0.png").unlink()
    assert main(["verify-benchmark", str(out)]) == 2
    assert "masks/box/t0.png: missing" in capsys.readouterr().err
    assert main(["verify-benchmark", str(tmp_path / "nowhere")]) == 2
    # a mask set without a config block: clear error, no partial output
    assert main([*args[:5], "--mask-params", "{}", "--out", str(tmp_path / "bench2")]) == 2
    assert not (tmp_path / "bench2").exists()


def test_evaluate_scores_completions_against_the_exported_folder(bench, tmp_path):
    """A researcher's own completions scored with `inpaint evaluate` on the export alone."""
    exported = tmp_path / "export"
    shutil.copytree(bench, exported)
    ids, reals = load_split(exported / "data", "test")
    completions = tmp_path / "mine"
    for image_id, real in zip(ids, reals, strict=True):
        known = read_mask(exported / "masks/box" / f"{image_id}.png")
        save_png(completions / f"{image_id}.png", np.where(known[..., None], real, 128)
                 .astype(np.uint8))
    out = tmp_path / "mine.csv"
    assert main(["evaluate", "--data", str(exported / "data"), "--masks",
                 str(exported / "masks/box"), "--completions", str(completions),
                 "--out", str(out), "--no-lpips", "--no-st-lpips"]) == 0
    scores = pd.read_csv(out)
    assert sorted(scores.image_id.astype(str)) == sorted(ids)
    assert np.isfinite(scores.psnr_hole).all()
