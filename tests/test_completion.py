import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from inpaint.completion import complete_file, complete_set
from inpaint.data.store import DatasetInfo, Split, save_dataset
from inpaint.errors import InpaintError
from inpaint.masks import generate_maskset, write_maskset
from inpaint.methods import get_method


@pytest.fixture
def prepared(tmp_path):
    rng = np.random.default_rng(0)
    images = (rng.random((5, 16, 16, 3)) * 255).astype(np.uint8)
    split = Split([f"t{i}" for i in range(5)], images, ["synthetic"] * 5)
    empty = Split([], np.zeros((0, 16, 16, 3), np.uint8), [])
    info = DatasetInfo(name="toy", kind="folder", label="toy", size=16, channels=3)
    train = Split([f"r{i}" for i in range(5)], images, ["synthetic"] * 5)
    save_dataset(tmp_path / "data", info, {"train": train, "val": empty, "test": split})
    masks = generate_maskset(split.ids, 16, "toy", "box", {"kind": "box"}, seed=0)
    write_maskset(tmp_path / "masks", masks)
    return tmp_path, images, masks


def test_complete_set_writes_one_composited_png_per_test_image(prepared):
    root, images, masks = prepared
    n = complete_set(get_method("telea"), root / "data", root / "masks", root / "out",
                     batch_size=2)
    assert n == 5
    assert sorted(p.name for p in (root / "out").iterdir()) == [f"t{i}.png" for i in range(5)]
    for i in range(5):
        done = np.asarray(Image.open(root / "out" / f"t{i}.png"))
        known = masks[f"t{i}"]
        assert np.array_equal(done[known], images[i][known])


def test_complete_set_with_a_missing_mask_leaves_no_output(prepared):
    root, _, _ = prepared
    (root / "masks" / "t3.png").unlink()
    with pytest.raises(InpaintError, match="t3"):
        complete_set(get_method("telea"), root / "data", root / "masks", root / "out")
    assert not (root / "out").exists()
    assert not [p for p in root.iterdir() if p.name.startswith(".out")]


def test_complete_sets_in_one_process_equal_separate_runs(prepared):
    """Several mask sets in one job (the workflow's complete rules): the same bytes as one
    job per mask set, and a broken mask set leaves none of the output folders."""
    from inpaint.cli import main
    from inpaint.completion import complete_sets

    root, _, _ = prepared
    split_ids = [f"t{i}" for i in range(5)]
    write_maskset(root / "pixels", generate_maskset(split_ids, 16, "toy", "pixels",
                                                    {"kind": "pixels", "p": 0.5}, seed=0))
    method = get_method("biharmonic")
    complete_sets(method, root / "data", [root / "masks", root / "pixels"],
                  [root / "a_box", root / "a_pixels"], batch_size=2)
    for masks, out in (("masks", "b_box"), ("pixels", "b_pixels")):
        complete_set(method, root / "data", root / masks, root / out, batch_size=3)
    for kind in ("box", "pixels"):
        for i in range(5):
            assert (root / f"a_{kind}" / f"t{i}.png").read_bytes() == \
                (root / f"b_{kind}" / f"t{i}.png").read_bytes()
    (root / "pixels" / "t4.png").unlink()
    with pytest.raises(InpaintError, match="t4"):
        complete_sets(method, root / "data", [root / "masks", root / "pixels"],
                      [root / "c_box", root / "c_pixels"])
    assert not (root / "c_box").exists()
    assert not (root / "c_pixels").exists()
    assert main(["complete-set", "--data", str(root / "data"), "--method", "telea",
                 "--masks", str(root / "masks"), "--out", str(root / "d1"), str(root / "d2")]) == 2


def test_complete_user_image_via_cli(tmp_path):
    image = np.full((20, 30, 3), 90, np.uint8)
    image[:, 15:] = 200
    Image.fromarray(image).save(tmp_path / "photo.jpg", quality=100)
    mask = np.full((20, 30), 255, np.uint8)
    mask[5:10, 5:10] = 0
    Image.fromarray(mask).save(tmp_path / "mask.png")
    result = subprocess.run(
        [sys.executable, "-m", "inpaint", "complete", "--method", "navier_stokes",
         "--image", str(tmp_path / "photo.jpg"), "--mask", str(tmp_path / "mask.png"),
         "--out", str(tmp_path / "done.png")], capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    done = np.asarray(Image.open(tmp_path / "done.png"))
    assert done.shape == (20, 30, 3)
    assert np.abs(done[5:10, 5:10].astype(int) - 90).max() <= 3


def test_complete_user_image_with_wrong_mask_size(tmp_path):
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "photo.png")
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(tmp_path / "mask.png")
    with pytest.raises(InpaintError, match=r"mask\.png has size 20x20, expected 30x20"):
        complete_file(get_method("telea"), tmp_path / "photo.png", tmp_path / "mask.png",
                      tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()


def test_evaluate_masksets_in_one_process_equal_one_job_per_mask_set(prepared):
    """The workflow's evaluate job scores every mask set of a dataset at once (completions in
    blocks, one per mask set): the same CSV bytes as one job per mask set; folders that do
    not split into equal blocks are one clear error and no CSV."""
    from inpaint.evaluation.evaluate import evaluate_masksets

    root, _, _ = prepared
    ids = [f"t{i}" for i in range(5)]
    write_maskset(root / "pixels", generate_maskset(ids, 16, "toy", "pixels",
                                                    {"kind": "pixels", "p": 0.5}, seed=0))
    methods = ["telea", "biharmonic"]
    folders, outs, single = [], [], []
    for masks in ("masks", "pixels"):
        for name in methods:
            folder = root / "done" / masks / name
            complete_set(get_method(name), root / "data", root / masks, folder)
            folders.append(folder)
            outs.append(root / "together" / masks / f"{name}.csv")
            single.append(root / "alone" / masks / f"{name}.csv")
    off = {"use_lpips": False, "use_st_lpips": False}
    evaluate_masksets(root / "data", [root / "masks", root / "pixels"], folders, outs, **off)
    for i, masks in enumerate(("masks", "pixels")):
        evaluate_masksets(root / "data", [root / masks], folders[2 * i:2 * i + 2],
                          single[2 * i:2 * i + 2], **off)
    for a, b in zip(outs, single, strict=True):
        assert a.read_bytes() == b.read_bytes(), a
    with pytest.raises(InpaintError, match="equal blocks"):
        evaluate_masksets(root / "data", [root / "masks", root / "pixels"], folders[:3],
                          [root / "bad" / f"{i}.csv" for i in range(3)], **off)
    assert not (root / "bad").exists()
