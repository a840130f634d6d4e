import numpy as np
import pytest
from PIL import Image

from inpaint.errors import InpaintError
from inpaint.io import read_mask
from inpaint.masks import (
    box_mask,
    center_mask,
    check_params,
    generate_maskset,
    irregular_mask,
    load_maskset,
    mask_rng,
    pixels_mask,
    write_maskset,
)

IDS = [f"img{i:03d}" for i in range(40)]


def test_center_is_a_quarter_of_the_area_and_centred():
    known = center_mask(32, scale=0.5)
    assert known.dtype == bool
    assert 1 - known.mean() == pytest.approx(0.25)
    hole_rows, hole_cols = np.nonzero(~known)
    assert (hole_rows.min(), hole_rows.max(), hole_cols.min(), hole_cols.max()) == (8, 23, 8, 23)


def test_pixels_ratio_close_to_p():
    known = pixels_mask(np.random.default_rng(0), 256, p=0.8)
    assert 1 - known.mean() == pytest.approx(0.8, abs=0.01)


def test_box_sides_within_range():
    for seed in range(50):
        known = box_mask(np.random.default_rng(seed), 64, min_boxes=1, max_boxes=1,
                         min_side=0.25, max_side=0.5)
        rows, cols = np.nonzero(~known)
        assert 16 <= rows.max() - rows.min() + 1 <= 32
        assert 16 <= cols.max() - cols.min() + 1 <= 32


def test_irregular_respects_hole_ratio_bounds():
    ratios = []
    for seed in range(60):
        known = irregular_mask(np.random.default_rng(seed), 32, min_hole_ratio=0.05,
                               max_hole_ratio=0.4)
        ratios.append(1 - known.mean())
    assert min(ratios) >= 0.05
    assert max(ratios) <= 0.4
    assert np.std(ratios) > 0.02  # varied, not one shape


def test_irregular_impossible_range_is_a_clear_error():
    with pytest.raises(InpaintError, match="hole ratio"):
        irregular_mask(np.random.default_rng(0), 32, min_hole_ratio=0.99, max_hole_ratio=1.0,
                       max_tries=3)


def test_seed_depends_on_dataset_maskset_and_id_only():
    a = mask_rng(0, "chars", "box", "x").random(4)
    assert np.array_equal(a, mask_rng(0, "chars", "box", "x").random(4))
    for other in [(1, "chars", "box", "x"), (0, "faces", "box", "x"),
                  (0, "chars", "box2", "x"), (0, "chars", "box", "y")]:
        assert not np.array_equal(a, mask_rng(*other).random(4))


@pytest.mark.parametrize("kind", ["center", "box", "irregular", "pixels"])
def test_regeneration_gives_same_bytes_in_any_order(tmp_path, kind):
    params = {"kind": kind}
    first = write_maskset(tmp_path / "a", generate_maskset(IDS, 32, "d", kind, params, seed=3))
    reordered = generate_maskset(IDS[::-1], 32, "d", kind, params, seed=3)
    write_maskset(tmp_path / "b", reordered)
    for image_id in IDS:
        assert (tmp_path / "a" / f"{image_id}.png").read_bytes() == (
            tmp_path / "b" / f"{image_id}.png"
        ).read_bytes()
    assert list(first.columns) == ["image_id", "hole_ratio"]
    if kind != "center":
        other = generate_maskset(IDS, 32, "d", kind, params, seed=4)
        assert any(not np.array_equal(other[i], reordered[i]) for i in IDS)


def test_written_masks_follow_the_convention(tmp_path):
    masks = generate_maskset(IDS[:5], 16, "d", "p", {"kind": "pixels", "p": 0.5}, seed=0)
    manifest = write_maskset(tmp_path / "m", masks)
    for row in manifest.itertuples():
        img = Image.open(tmp_path / "m" / f"{row.image_id}.png")
        assert img.mode == "L"
        assert img.size == (16, 16)
        arr = np.asarray(img)
        assert set(np.unique(arr)) <= {0, 255}
        assert row.hole_ratio == pytest.approx((arr == 0).mean())
        stored = read_mask(tmp_path / "m" / f"{row.image_id}.png")
        assert np.array_equal(stored, masks[row.image_id])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_bad_mask_files_are_named(tmp_path):
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(tmp_path / "small.png")
    with pytest.raises(InpaintError, match=r"small\.png.*8x8.*16x16"):
        read_mask(tmp_path / "small.png", (16, 16))
    Image.fromarray(np.full((16, 16), 128, np.uint8)).save(tmp_path / "grey.png")
    with pytest.raises(InpaintError, match=r"grey\.png.*other than 0"):
        read_mask(tmp_path / "grey.png", (16, 16))
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "rgb.png")
    with pytest.raises(InpaintError, match=r"rgb\.png.*single-channel"):
        read_mask(tmp_path / "rgb.png", (16, 16))
    with pytest.raises(InpaintError, match="no mask for test image 'missing'"):
        load_maskset(tmp_path, ["missing"], (16, 16))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "blob"}, "unknown mask kind 'blob'"),
        ({"kind": "center", "p": 0.5}, r"unknown key\(s\) \['p'\]"),
        ({"kind": "box", "min_side": 0.6, "max_side": 0.5}, "min_side"),
        ({"kind": "pixels", "p": 1.5}, r"masks\.bad\.p"),
        ({"kind": "pixels", "p": "lots"}, "expected a number"),
    ],
)
def test_bad_mask_parameters_name_the_key(params, message):
    with pytest.raises(InpaintError, match=message):
        check_params("bad", params)


def test_a_new_kind_is_one_registered_function(monkeypatch, tmp_path):
    """register_kind on a generator makes a kind that config checks, sets and mixtures use."""
    from inpaint.masks import MASK_KINDS, register_kind
    from inpaint.masks.mixture import check_mixture, mixture_masks

    monkeypatch.setattr(MASK_KINDS, "_entries", dict(MASK_KINDS._entries))

    @register_kind("stripe", {"width": 0.25}, unit=("width",))
    def stripe(rng, size, width):
        known = np.ones((size, size), dtype=bool)
        top = int(rng.integers(0, size - round(width * size) + 1))
        known[top:top + round(width * size)] = False
        return known

    assert check_params("s", {"kind": "stripe"}) == {"kind": "stripe", "width": 0.25}
    with pytest.raises(InpaintError, match=r"masks\.s\.width: must be in \(0, 1\]"):
        check_params("s", {"kind": "stripe", "width": 2})
    masks = generate_maskset(IDS[:4], 16, "d", "s", {"kind": "stripe"}, seed=0)
    assert all((1 - m.mean()) == 0.25 for m in masks.values())
    manifest = write_maskset(tmp_path / "s", masks)
    assert list(manifest.hole_ratio) == [0.25] * 4
    mix = check_mixture("t", [{"kind": "stripe", "width": 0.5}])
    assert (1 - mixture_masks(np.random.default_rng(0), 3, 8, mix).mean(axis=(1, 2)) == 0.5).all()


def test_unknown_kind_names_the_key_and_lists_the_kinds():
    with pytest.raises(InpaintError) as err:
        check_params("mine", {"kind": "blob"})
    assert str(err.value) == (
        "masks.mine.kind: unknown mask kind 'blob'; expected one of center, box, irregular, "
        "pixels, half, lama_thin, lama_medium, lama_thick, folder")
    with pytest.raises(InpaintError, match=r"masks\.mine\.kind: unknown mask kind None"):
        check_params("mine", {})
