"""Training-mask mixtures (``train_masks``): checked strictly, drawn with their weights."""

import numpy as np
import pytest

MIX = [{"kind": "center"}, {"kind": "box", "max_boxes": 1}, {"kind": "pixels", "weight": 2}]


def test_mixture_is_checked_strictly_and_stated_in_full():
    from inpaint.errors import InpaintError
    from inpaint.masks.mixture import check_mixture

    full = check_mixture("methods.m.train_masks", MIX)
    assert [b["weight"] for b in full] == [0.25, 0.25, 0.5]
    assert full[1] == {"kind": "box", "min_boxes": 1, "max_boxes": 1, "min_side": 0.25,
                       "max_side": 0.5, "weight": 0.25}
    bad = [({"kind": "box"}, "non-empty list"),  # a mapping, not a list
           ([], "non-empty list"),
           ([{"kind": "box", "min_sid": 0.3}], r"train_masks\[0\]: unknown key\(s\) \['min_sid'\]"),
           ([{"kind": "blob"}], r"train_masks\[0\]\.kind: unknown mask kind 'blob'"),
           ([{"kind": "box"}, {"kind": "pixels", "weight": 0}], r"train_masks\[1\]\.weight"),
           ([{"kind": "pixels", "weight": True}], r"\.weight"),
           (["box"], r"train_masks\[0\]: expected a mapping")]
    for blocks, message in bad:
        with pytest.raises(InpaintError, match=message):
            check_mixture("methods.m.train_masks", blocks)


def test_mixture_draws_each_block_with_its_weight():
    from inpaint.masks.mixture import check_mixture, draw_mixture

    mix = check_mixture("t", MIX)
    masks, blocks = draw_mixture(np.random.default_rng(0), 800, 32, mix)
    shares = np.bincount(blocks, minlength=3) / 800
    np.testing.assert_allclose(shares, [0.25, 0.25, 0.5], atol=0.05)
    ratios = 1 - masks.mean(axis=(1, 2))
    assert np.all(ratios[blocks == 0] == 0.25)  # center
    assert np.all(np.abs(ratios[blocks == 2] - 0.8) < 0.1)  # pixels, p = 0.8
    again, _ = draw_mixture(np.random.default_rng(0), 800, 32, mix)
    assert np.array_equal(masks, again)  # seeded


def test_paper_configs_use_the_papers_training_masks():
    from pathlib import Path

    import yaml

    from inpaint.masks.mixture import check_mixture

    root = Path(__file__).parents[2] / "config" / "paper"
    expected = {
        "pathak2016_paris128.yaml": [{"kind": "center", "scale": 0.5}],
        "iizuka2017_celeba.yaml": [{"kind": "box", "min_boxes": 1, "max_boxes": 1,
                                    "min_side": 0.375, "max_side": 0.5}],
        "iizuka2017_places256.yaml": [{"kind": "box", "min_boxes": 1, "max_boxes": 1,
                                       "min_side": 0.375, "max_side": 0.5}],
        "liu2018_places256.yaml": [{"kind": "irregular"}],
        "liu2018_places512.yaml": [{"kind": "irregular"}],
    }
    for file, blocks in expected.items():
        methods = yaml.safe_load((root / file).read_text())["methods"]
        learned = {k: v for k, v in methods.items() if v and "train_masks" in v}
        assert learned, file
        for name, block in learned.items():
            assert check_mixture(name, block["train_masks"]) == check_mixture(name, blocks), \
                (file, name)
