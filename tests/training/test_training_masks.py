import numpy as np
import pytest

from inpaint.training.masks import to_tensor, training_masks


def test_mixture_is_seeded_and_has_every_kind():
    a = training_masks(np.random.default_rng(0), 60, 32)
    b = training_masks(np.random.default_rng(0), 60, 32)
    assert a.dtype == bool
    assert a.shape == (60, 32, 32)
    assert np.array_equal(a, b)
    ratios = 1 - a.mean(axis=(1, 2))
    assert (ratios == 0.25).any()  # center masks
    assert len(np.unique(ratios)) > 10  # boxes and strokes vary


def test_kind_overrides_and_tensor():
    known = training_masks(np.random.default_rng(1), 8, 16, kinds=("pixels",),
                           params={"pixels": {"p": 0.5}})
    assert 0.35 < 1 - known.mean() < 0.65
    t = to_tensor(known)
    assert tuple(t.shape) == (8, 1, 16, 16)
    assert float(t.sum()) == known.sum()


def test_bad_kind_is_an_error():
    from inpaint.errors import InpaintError

    with pytest.raises(InpaintError, match="blob"):
        training_masks(np.random.default_rng(0), 2, 16, kinds=("blob",))


# ---- training-mask mixtures (issue 16, item 5) ---------------------------------------------

@pytest.mark.parametrize("kind", ["box", "irregular", "pixels"])
def test_no_training_mask_is_a_test_mask(kind):
    """Training masks come from the methods' own seed streams, never the evaluation's:
    for the random kinds, no training mask of a method's first steps equals the test
    mask of the same index (nor any test mask). Center masks are one fixed mask by
    definition (the same hole in training and test, as in the papers)."""
    from inpaint.masks import generate_maskset
    from inpaint.masks.mixture import check_mixture, mixture_masks
    from inpaint.training import derive_seed
    from inpaint.training.seeding import Stream

    n, size = 32, 32
    ids = [f"{i:05d}" for i in range(n)]
    mix = check_mixture("t", [{"kind": kind}])
    streams = [Stream.GLCIC_MASKS, Stream.PCONV_MASKS, Stream.CONTEXT_ENCODER_MASKS]
    for dataset in ("chars", "faces"):
        tests = generate_maskset(ids, size, dataset, kind, {"kind": kind}, seed=0)
        test = np.stack([tests[i] for i in ids])
        flat = {m.tobytes() for m in test}
        for stream in streams:
            for step in (0, 1, 2):
                rng = np.random.default_rng(derive_seed(0, stream, step))
                train = mixture_masks(rng, n, size, mix)
                assert not any(np.array_equal(a, b) for a, b in zip(train, test, strict=True))
                assert not flat & {m.tobytes() for m in train}


def _learned_owners():
    from inpaint.methods import get_method_class, list_methods

    return [n for n in list_methods() if get_method_class(n).learned
            and get_method_class(n).shares_model_with is None]


def test_embedded_default_trains_every_learned_method_on_every_evaluation_kind():
    """config.yaml: no learned method is scored on a mask kind it never saw in training."""
    from pathlib import Path

    import yaml

    from inpaint.methods import get_method

    config = yaml.safe_load((Path(__file__).parents[2] / "config.yaml").read_text())
    kinds = {block["kind"] for block in config["masks"].values()}
    for name in _learned_owners():
        if name not in config["methods"]:
            continue
        params = get_method(name, **(config["methods"][name] or {})).params
        if name.startswith("yeh_dcgan"):
            assert "train_masks" not in params  # a DCGAN: trained on whole images, no masks
            continue
        trained = {block["kind"] for block in params["train_masks"]}
        assert kinds <= trained, f"{name} never trains on {sorted(kinds - trained)}"


@pytest.mark.parametrize("name", _learned_owners())
def test_model_json_states_the_mixture(name, tmp_path):
    """Every learned method that trains on masks records its full mixture in model.json."""
    import json

    from inpaint.data.store import DatasetInfo, Split, save_dataset
    from inpaint.masks.mixture import check_mixture
    from inpaint.methods import get_method

    tiny = {"context_encoder": {"base": 4, "bottleneck": 8, "d_base": 4},
            "context_encoder_l2": {"base": 4, "bottleneck": 8},
            "glcic": {"width": 4, "d_width": 4},
            "lama": {"ngf": 4, "n_blocks": 1, "ndf": 4, "d_layers": 2},
            "pconv": {"base_channels": 4, "mask_pool": 4},
            "pconv_plainconv": {"base_channels": 4, "mask_pool": 4},
            "yeh_dcgan": {"base": 8, "nz": 8}}[name]
    images = np.random.default_rng(0).integers(0, 256, (12, 16, 16, 3), dtype=np.uint8)
    splits = {s: Split([f"{s}{i}" for i in range(4)], images[k * 4:(k + 1) * 4], ["toy"] * 4)
              for k, s in enumerate(("train", "val", "test"))}
    save_dataset(tmp_path / "d", DatasetInfo("toy", "folder", "toy", 16, 3), splits)
    mix = [{"kind": "pixels", "p": 0.5}, {"kind": "center", "weight": 3}]
    if name.startswith("yeh_dcgan"):
        with pytest.raises(TypeError, match="train_masks"):
            get_method(name, train_masks=mix)
        return
    get_method(name, steps=1, batch_size=2, sample_every=0, checkpoint_every=0,
               train_masks=mix, **tiny).fit(tmp_path / "d", tmp_path / "m", seed=0,
                                            device="cpu", threads=1)
    record = json.loads((tmp_path / "m" / "model.json").read_text())
    assert record["hparams"]["train_masks"] == check_mixture(name, mix)
