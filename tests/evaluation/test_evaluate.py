"""check_completions and evaluate_masksets: the results contract checked before scoring,
streamed in batches (issue 18: evaluation memory flat in the number of test images)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from PIL import Image

import inpaint.data.store as store
import inpaint.evaluation.evaluate as evaluate
from inpaint.completion import complete_set
from inpaint.data.store import DatasetInfo, Split, iter_split, load_split, save_dataset
from inpaint.errors import InpaintError
from inpaint.evaluation.evaluate import check_completions, evaluate_masksets
from inpaint.masks import generate_maskset, write_maskset
from inpaint.methods import get_method

SIZE, N = 16, 7
IDS = [f"t{i}" for i in range(N)]


def _dataset(root, n=N, size=SIZE, channels=3):
    rng = np.random.default_rng(0)
    images = (rng.random((n, size, size, channels)) * 255).astype(np.uint8)
    test = Split([f"t{i}" for i in range(n)], images, ["synthetic"] * n)
    empty = Split([], images[:0], [])
    info = DatasetInfo(name="toy", kind="folder", label="toy", size=size, channels=channels)
    save_dataset(root / "data", info, {"train": empty, "val": empty, "test": test})
    write_maskset(root / "masks", generate_maskset(test.ids, size, "toy", "center",
                                                   {"kind": "center", "scale": 0.5}, seed=0))
    return images


@pytest.fixture
def done(tmp_path):
    """A dataset of N test images, a center mask set and telea's completions of it."""
    images = _dataset(tmp_path)
    complete_set(get_method("telea"), tmp_path / "data", tmp_path / "masks", tmp_path / "telea")
    return tmp_path, images


def _args(root):
    return root / "data", root / "masks", root / "telea"


def _change_known_pixel(path):
    pixels = np.array(Image.open(path))
    pixels[0, 0] ^= 1  # a corner is known under a center mask
    Image.fromarray(pixels).save(path)


def test_iter_split_reads_the_packed_split_in_batches(done):
    root, images = done
    batches = list(iter_split(root / "data", "test", 3))
    assert [ids for ids, _ in batches] == [IDS[0:3], IDS[3:6], IDS[6:]]
    assert np.array_equal(np.concatenate([b for _, b in batches]), images)
    assert np.array_equal(np.concatenate([b for _, b in batches]),
                          load_split(root / "data", "test")[1])
    with pytest.raises(InpaintError, match=r"no test\.npz"):
        next(iter_split(root / "masks", "test", 3))


@pytest.mark.parametrize("batch_size", [1, 3, 256])
def test_check_completions_passes_and_returns_the_ids(done, batch_size):
    assert check_completions(*_args(done[0]), batch_size=batch_size) == IDS


def test_check_completions_never_reads_the_whole_split(done, monkeypatch):
    """The test images and masks come in batches of ``batch_size``, never all at once."""
    def whole_split(*args, **kwargs):
        raise AssertionError("check_completions read the whole split")

    monkeypatch.setattr(store, "load_split", whole_split)
    monkeypatch.setattr(evaluate, "load_split", whole_split, raising=False)
    sizes = []
    real_load_maskset = evaluate.load_maskset

    def load_maskset(mask_dir, image_ids, shape):
        sizes.append(len(image_ids))
        return real_load_maskset(mask_dir, image_ids, shape)

    monkeypatch.setattr(evaluate, "load_maskset", load_maskset)
    assert check_completions(*_args(done[0]), batch_size=3) == IDS
    assert sizes == [3, 3, 1]


def test_check_completions_memory_does_not_grow_with_the_test_set(tmp_path):
    """Peak traced memory of the check stays far below one copy of the test split."""
    n, size = 128, 64
    images = _dataset(tmp_path, n=n, size=size)
    folder = tmp_path / "telea"
    folder.mkdir()
    for i, image in enumerate(images):  # the real images are valid completions
        Image.fromarray(image).save(folder / f"t{i}.png")
    check_completions(*_args(tmp_path), batch_size=4)
    tracemalloc.start()
    try:
        check_completions(*_args(tmp_path), batch_size=4)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < images.nbytes / 4, (peak, images.nbytes)


def test_missing_completions_are_reported_before_anything_else(done):
    root, _ = done
    (root / "telea" / "t5.png").unlink()
    (root / "telea" / "t6.png").unlink()
    _change_known_pixel(root / "telea" / "t0.png")
    (root / "masks" / "t1.png").write_bytes(b"")
    with pytest.raises(InpaintError, match=r"lacks completions for 2 test image\(s\), e\.g\. "
                                           r"t5\.png"):
        check_completions(*_args(root), batch_size=2)


def test_first_changed_completion_in_id_order_is_named(done):
    root, _ = done
    for name in ("t5", "t2", "t6"):
        _change_known_pixel(root / "telea" / f"{name}.png")
    for batch_size in (1, 2, 256):
        with pytest.raises(InpaintError, match=r"telea/t2\.png changes known pixels; a method "
                                               r"must composite its output"):
            check_completions(*_args(root), batch_size=batch_size)


def test_completion_of_the_wrong_shape_is_named(done):
    root, _ = done
    Image.fromarray(np.zeros((SIZE, SIZE + 1, 3), np.uint8)).save(root / "telea" / "t4.png")
    with pytest.raises(InpaintError, match=r"completion .*t4\.png has shape \(16, 17, 3\), "
                                           r"expected \(16, 16, 3\)"):
        check_completions(*_args(root), batch_size=2)


def test_a_bad_mask_in_a_later_batch_is_reported_before_a_bad_completion(done):
    """As when the whole mask set was read first: every mask is validated before any
    completion's error is reported."""
    root, _ = done
    _change_known_pixel(root / "telea" / "t0.png")
    Image.fromarray(np.full((SIZE, SIZE), 7, np.uint8)).save(root / "masks" / "t6.png")
    with pytest.raises(InpaintError, match=r"t6\.png has values other than 0"):
        check_completions(*_args(root), batch_size=2)
    (root / "masks" / "t6.png").unlink()
    with pytest.raises(InpaintError, match=r"no mask for test image 't6'"):
        check_completions(*_args(root), batch_size=2)


def test_evaluate_checks_every_folder_before_writing_a_csv(done):
    root, _ = done
    complete_set(get_method("biharmonic"), root / "data", root / "masks", root / "biharmonic")
    _change_known_pixel(root / "biharmonic" / "t3.png")
    outs = [root / "metrics" / "telea.csv", root / "metrics" / "biharmonic.csv"]
    with pytest.raises(InpaintError, match=r"biharmonic/t3\.png changes known pixels"):
        evaluate_masksets(root / "data", [root / "masks"], [root / "telea", root / "biharmonic"],
                          outs, use_lpips=False, use_st_lpips=False)
    assert not (root / "metrics").exists()
