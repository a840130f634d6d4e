"""What a method may see: never the ground truth of the hole (issue 16, item 6).

Every registered method (the registry, not a hand list; learned ones with a model
trained for a couple of steps at toy size) must give the same output whatever the
hole pixels of its input hold, and ``complete_batch`` must hand ``predict`` M * y.
"""

from __future__ import annotations

import numpy as np
import pytest

from inpaint.masks import center_mask, irregular_mask, pixels_mask
from inpaint.methods import (
    InpaintMethod,
    complete_batch,
    complete_batch_with_raw,
    get_method,
    get_method_class,
    list_methods,
)
from inpaint.methods.base import to_float

SIZE = 16
ENGINE = {"log_every": 1, "sample_every": 0, "checkpoint_every": 0}
# Toy sizes of the learned methods, by method or the nearest registered ancestor.
TINY = {
    "context_encoder": {"steps": 2, "batch_size": 4, "base": 4, "bottleneck": 8, "d_base": 4},
    "context_encoder_l2": {"steps": 2, "batch_size": 4, "base": 4, "bottleneck": 8},
    "glcic": {"steps": 2, "batch_size": 4, "width": 4, "d_width": 4},
    "lama": {"steps": 2, "batch_size": 4, "ngf": 4, "n_blocks": 1, "ndf": 4, "d_layers": 2},
    "pconv": {"steps": 2, "batch_size": 4, "base_channels": 4, "mask_pool": 4},
    "yeh_dcgan": {"steps": 2, "batch_size": 4, "base": 8, "nz": 8, "search_steps": 3,
                  "restarts": 1},
}


def tiny_params(name: str) -> dict:
    for cls in get_method_class(name).__mro__:
        if getattr(cls, "name", "") in TINY:
            return {**TINY[cls.name], **ENGINE}
    raise AssertionError(f"learned method {name!r} has no toy parameters in TINY: add them")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, toy_blocks_dataset):
    return toy_blocks_dataset(tmp_path_factory.mktemp("inputs_data"), SIZE)


@pytest.fixture(scope="module")
def models(dataset, tmp_path_factory):
    """Model directories, trained on demand, one per model owner."""
    root, done = tmp_path_factory.mktemp("inputs_models"), {}

    def model_dir(name: str):
        owner = get_method_class(name).model_owner()
        if owner not in done:
            done[owner] = root / owner
            get_method(owner, **tiny_params(owner)).fit(dataset, done[owner], seed=0,
                                                        device="cpu", threads=1)
        return done[owner]

    return model_dir


def inputs(seed: int = 0):
    """Three images, their masks (center, irregular, pixels) and a copy of the images
    with other random hole contents (known pixels equal)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (3, SIZE, SIZE, 3), dtype=np.uint8)
    known = np.stack([center_mask(SIZE, 0.5), irregular_mask(rng, SIZE),
                      pixels_mask(rng, SIZE, 0.5)])
    other = np.where(known[..., None], images,
                     rng.integers(0, 256, images.shape, dtype=np.uint8)).astype(np.uint8)
    assert (other != images).any(axis=-1)[~known].mean() > 0.9
    return images, other, known


def assert_hole_blind(method: InpaintMethod) -> None:
    """``predict`` gives the same output (composited) for images that differ only in the
    hole: what it returns cannot depend on the hole's ground truth."""
    images, other, known = inputs()
    a = method.predict(to_float(images), known)
    b = method.predict(to_float(other), known)
    keep = known[..., None]
    assert np.array_equal(np.where(keep, 0, a), np.where(keep, 0, b)), \
        f"{method.name}: the prediction of the hole changes with the hole's pixels"


def built(name: str, models) -> InpaintMethod:
    cls = get_method_class(name)
    if not cls.learned:
        return get_method(name)
    method = get_method(name, **tiny_params(name))
    method.load(models(name), device="cpu")
    return method


@pytest.mark.parametrize("name", list_methods())
def test_every_registered_method_is_blind_to_the_hole(name, models):
    assert_hole_blind(built(name, models))


@pytest.mark.parametrize("name", [n for n in list_methods()
                                  if get_method_class(n).completes_raw_variant])
def test_raw_variant_pass_is_blind_to_the_hole(name, models):
    method = built(name, models)
    images, other, known = inputs(1)
    for a, b in zip(complete_batch_with_raw(method, images, known),
                    complete_batch_with_raw(method, other, known), strict=True):
        assert np.array_equal(a, b)


class HoleReader(InpaintMethod):
    """A throwaway method that cheats: it returns its input, hole pixels included."""

    name = "hole_reader"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[np.ndarray] = []

    def predict(self, images, known):
        self.seen.append(images.copy())
        return images

    def predict_with_raw(self, images, known):
        return self.predict(images, known), self.predict(images, known)


def test_the_check_catches_a_method_that_reads_the_hole():
    with pytest.raises(AssertionError, match="hole_reader"):
        assert_hole_blind(HoleReader())


def test_complete_batch_hands_predict_the_corrupted_image():
    images, other, known = inputs(2)
    for run in (lambda m, x: complete_batch(m, x, known),
                lambda m, x: complete_batch_with_raw(m, x, known)[0]):
        method = HoleReader()
        out = run(method, images)
        assert np.array_equal(out, run(method, other))
        for seen in method.seen:
            assert np.all(seen[~known] == 0)
            assert np.array_equal(seen[known], to_float(images)[known])
        assert np.all(out[~known] == 0)  # the cheat gets nothing but the zero fill
