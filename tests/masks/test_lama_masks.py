"""LaMa's mask protocols (lama_thin / lama_medium / lama_thick)."""

import numpy as np
import pytest

from inpaint.errors import InpaintError
from inpaint.masks import check_params, generate_maskset, lama, write_maskset
from inpaint.training.masks import training_masks

KINDS = ["lama_thin", "lama_medium", "lama_thick"]
IDS = [f"img{i:03d}" for i in range(80)]


def ratios(kind, size, ids=IDS, seed=0):
    masks = generate_maskset(ids, size, "d", kind, {"kind": kind}, seed=seed)
    return np.array([1.0 - masks[i].mean() for i in ids])


@pytest.mark.parametrize("kind", KINDS)
def test_hole_ratio_within_lamas_cap_and_spread(kind):
    r = ratios(kind, 32)
    assert r.min() > 0  # LaMa's candidates always draw at least one stroke or box
    assert r.max() <= lama.MAX_TAMPER_AREA  # max_tamper_area: 0.5
    assert np.percentile(r, 95) > 0.4  # candidates fill up towards the cap, not tiny
    assert r.std() > 0.08  # varied masks


@pytest.mark.parametrize("kind", KINDS)
def test_resizing_keeps_the_reference_hole_ratio(kind):
    # same seeds -> the same 256 px reference candidates, shrunk by area: ratios agree
    # (a few images differ where a candidate crosses the 0.5 cap at one size only)
    small, ref = ratios(kind, 32, IDS[:60]), ratios(kind, 256, IDS[:60])
    assert abs(small.mean() - ref.mean()) < 0.01
    assert (np.abs(small - ref) < 0.03).mean() >= 0.9


def test_boxes_follow_the_medium_config():
    rng = np.random.default_rng(0)
    for _ in range(50):
        hole = lama.box_hole(rng, 256, margin=10, bbox_min_size=30, bbox_max_size=150,
                                   min_times=1, max_times=1)
        rows, cols = np.nonzero(hole)
        assert 30 <= rows.max() - rows.min() + 1 <= 150
        assert 30 <= cols.max() - cols.min() + 1 <= 150
        assert rows.min() >= 10 and cols.min() >= 10  # noqa: PT018
        assert rows.max() < 246 and cols.max() < 246  # noqa: PT018


def test_box_probability_is_lamas_0_3_over_1_3(monkeypatch):
    calls = {"box": 0, "irregular": 0}
    monkeypatch.setattr(lama, "box_hole",
                        lambda *a, **k: calls.__setitem__("box", calls["box"] + 1))
    monkeypatch.setattr(lama, "irregular_hole",
                        lambda *a, **k: calls.__setitem__("irregular", calls["irregular"] + 1))
    rng = np.random.default_rng(0)
    for _ in range(2000):
        lama.mixed_hole(rng, "lama_thick", 256)
    assert calls["box"] / 2000 == pytest.approx(0.3 / 1.3, abs=0.03)
    calls.update(box=0, irregular=0)
    for _ in range(200):
        lama.mixed_hole(rng, "lama_thin", 256)
    assert calls == {"box": 0, "irregular": 200}  # thin: box_proba 0


def test_stroke_count_includes_lamas_extra_one(monkeypatch):
    import cv2

    starts = []
    real_line = cv2.line
    monkeypatch.setattr(cv2, "line", lambda img, p0, p1, c, w: (starts.append(p0),
                                                                 real_line(img, p0, p1, c, w)))
    rng = np.random.default_rng(1)
    widths = []
    for _ in range(300):
        starts.clear()
        hole = lama.irregular_hole(rng, 256, min_times=1, max_times=1, max_width=10,
                                         max_angle=4, max_len=40)
        widths.append(hole.sum())
        assert 1 <= len(starts) <= 2 * 5  # 1 or 2 strokes (max_times + 1), 1-5 segments each
    assert max(widths) > 0


@pytest.mark.parametrize("kind", KINDS)
def test_same_bytes_on_regeneration_in_any_order(tmp_path, kind):
    ids = IDS[:12]
    write_maskset(tmp_path / "a", generate_maskset(ids, 32, "d", kind, {"kind": kind}, 3))
    write_maskset(tmp_path / "b", generate_maskset(ids[::-1], 32, "d", kind, {"kind": kind}, 3))
    for image_id in ids:
        assert (tmp_path / "a" / f"{image_id}.png").read_bytes() == (
            tmp_path / "b" / f"{image_id}.png").read_bytes()
    other = generate_maskset(ids, 32, "d", kind, {"kind": kind}, 4)
    first = generate_maskset(ids, 32, "d", kind, {"kind": kind}, 3)
    assert any(not np.array_equal(other[i], first[i]) for i in ids)


def test_512_reference_for_large_images():
    assert lama.reference_size(256) == 256
    assert lama.reference_size(511) == 256
    assert lama.reference_size(512) == 512
    r = ratios("lama_thick", 512, IDS[:5])
    assert ((r > 0) & (r <= 0.5)).all()


def test_parameters_are_fixed_and_training_masks_accept_the_kinds():
    with pytest.raises(InpaintError, match=r"unknown key\(s\) \['max_width'\]"):
        check_params("m", {"kind": "lama_thin", "max_width": 3})
    out = training_masks(np.random.default_rng(0), 6, 32, kinds=tuple(KINDS))
    assert out.shape == (6, 32, 32)
    assert ((1 - out.mean(axis=(1, 2))) <= 0.5).all()
