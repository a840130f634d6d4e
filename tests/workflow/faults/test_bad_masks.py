"""Bad masks are named and leave no output; no-hole and all-hole masks are defined.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from inpaint.io import read_image
from inpaint.masks import generate_maskset, write_maskset

from .helpers import (
    LEARNED,
    SIZE,
    assert_one_error_line,
    listing,
    make_dataset,
    run_cli,
    save,
    truncated_png,
    two_steps,
)


def _mask_with(value: int) -> np.ndarray:
    mask = np.full((24, 24), 255, np.uint8)
    mask[8:16, 8:16] = 0
    mask[0, 0] = value
    return mask


BAD_MASKS = {
    "small.png": (lambda p: save(np.full((16, 24), 255, np.uint8), p), "expected 24x24"),
    "grey128.png": (lambda p: save(_mask_with(128), p), "values other than 0"),
    "antialiased.png": (lambda p: save(_mask_with(1), p), "values other than 0"),
    "rgb.png": (lambda p: save(np.full((24, 24, 3), 255, np.uint8), p), "single-channel"),
    "empty.png": (lambda p: p.write_bytes(b""), "0 bytes"),
    "truncated.png": (truncated_png, "cannot read image"),
}


@pytest.mark.parametrize("name", sorted(BAD_MASKS))
def test_bad_mask_is_named_and_leaves_no_output(capsys, user_files, name):
    image, _, out = user_files
    make, message = BAD_MASKS[name]
    bad = out.parent / name
    make(bad)
    code, err = run_cli(capsys, "complete", "--method", "telea", "--image", image, "--mask", bad,
                        "--out", out / "done.png")
    assert code == 2
    assert_one_error_line(err, bad, message)
    assert listing(out) == []


def test_bad_mask_in_a_mask_set_stops_completion_and_evaluation(capsys, tmp_path):
    data = make_dataset(tmp_path / "data")
    ids = [f"test{i}" for i in range(6)]
    write_maskset(tmp_path / "masks", generate_maskset(ids, SIZE, "toy", "c", {"kind": "center"},
                                                       seed=0))
    code, err = run_cli(capsys, "complete-set", "--data", data, "--masks", tmp_path / "masks",
                        "--method", "telea", "--out", tmp_path / "done" / "telea")
    assert code == 0
    bad = tmp_path / "masks" / "test2.png"
    save(_mask_with(7)[:SIZE, :SIZE], bad)
    code, err = run_cli(capsys, "complete-set", "--data", data, "--masks", tmp_path / "masks",
                        "--method", "biharmonic", "--out", tmp_path / "done" / "biharmonic")
    assert code == 2
    assert_one_error_line(err, bad, "values other than 0")
    code, err = run_cli(capsys, "evaluate", "--no-lpips", "--no-st-lpips", "--data", data,
                        "--masks", tmp_path / "masks", "--completions", tmp_path / "done/telea",
                        "--out", tmp_path / "metrics" / "telea.csv")
    assert code == 2
    assert_one_error_line(err, bad)
    assert listing(tmp_path / "done") == ["telea", *[f"telea/test{i}.png" for i in range(6)]]
    assert not (tmp_path / "metrics").exists() or listing(tmp_path / "metrics") == []


def test_no_hole_and_all_hole_masks_are_defined(capsys, tmp_path):
    """No hole: the completion is the image itself and the hole metrics are empty (NaN,
    left out of the means). All hole: valid; a classical method fills mid-grey."""
    data = make_dataset(tmp_path / "data")
    ids = [f"test{i}" for i in range(6)]
    masks = {i: np.ones((SIZE, SIZE), bool) for i in ids[:3]}
    masks.update({i: np.zeros((SIZE, SIZE), bool) for i in ids[3:]})
    write_maskset(tmp_path / "masks", masks)
    for method in ("telea", "biharmonic"):
        code, err = run_cli(capsys, "complete-set", "--data", data, "--masks", tmp_path / "masks",
                            "--method", method, "--out", tmp_path / "done" / method)
        assert (code, err) == (0, "")
    truth = {i: read_image(data / "test" / f"{i}.png") for i in ids}
    for method in ("telea", "biharmonic"):
        for i in ids[:3]:
            assert np.array_equal(read_image(tmp_path / "done" / method / f"{i}.png"), truth[i])
        for i in ids[3:]:
            assert (read_image(tmp_path / "done" / method / f"{i}.png") == 128).all()
    code, err = run_cli(capsys, "evaluate", "--no-lpips", "--no-st-lpips", "--data", data,
                        "--masks", tmp_path / "masks", "--completions", tmp_path / "done/telea",
                        "--out", tmp_path / "telea.csv")
    assert code == 0
    frame = pd.read_csv(tmp_path / "telea.csv").set_index("image_id")
    assert (frame.loc[ids[:3], "hole_ratio"] == 0).all()
    assert frame.loc[ids[:3], ["psnr_hole", "ssim_hole", "l1_hole"]].isna().all().all()
    assert (frame.loc[ids[:3], "l1"] == 0).all()
    assert (frame.loc[ids[3:], "hole_ratio"] == 1).all()
    assert frame.loc[ids[3:], ["psnr", "psnr_hole", "ssim", "l1_hole"]].notna().all().all()
    assert np.allclose(frame.loc[ids[3:], "psnr"], frame.loc[ids[3:], "psnr_hole"])


# ---- datasets, names, config types -----------------------------------------------------------


@pytest.mark.parametrize("method", LEARNED)
def test_learned_methods_define_no_hole_and_all_hole_masks(capsys, models, tmp_path, method):
    """No hole: the image comes back unchanged. All hole: a completion of the right size
    from the model alone (post-processing has no known pixel to blend with)."""
    ids = [f"test{i}" for i in range(6)]
    masks = {i: np.ones((SIZE, SIZE), bool) for i in ids[:3]}
    masks.update({i: np.zeros((SIZE, SIZE), bool) for i in ids[3:]})
    write_maskset(tmp_path / "masks", masks)
    code, err = run_cli(capsys, "complete-set", "--data", models / "data", "--masks",
                        tmp_path / "masks", "--method", method, "--model", models / method,
                        "--device", "cpu", "--params", json.dumps(two_steps(method)),
                        "--out", tmp_path / "out")
    assert code == 0, err
    for i in ids[:3]:
        assert np.array_equal(read_image(tmp_path / "out" / f"{i}.png"),
                              read_image(models / "data" / "test" / f"{i}.png"))
    for i in ids[3:]:
        assert read_image(tmp_path / "out" / f"{i}.png").shape == (SIZE, SIZE, 3)
