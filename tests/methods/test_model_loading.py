"""Loading what was trained (issue 16, item 8): every learned method builds its networks
from model.json; a config that changed an architecture key is an error naming the key
and both values, unless the model is retrained."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inpaint.errors import InpaintError
from inpaint.methods import complete_batch, get_method, get_method_class, list_methods
from inpaint.methods.model_record import MODEL_JSON

SIZE = 16
ENGINE = {"log_every": 1, "sample_every": 0, "checkpoint_every": 0}
TINY = {
    "context_encoder": {"steps": 1, "batch_size": 4, "base": 4, "bottleneck": 8, "d_base": 4},
    "context_encoder_l2": {"steps": 1, "batch_size": 4, "base": 4, "bottleneck": 8},
    "glcic": {"steps": 1, "batch_size": 4, "width": 4, "d_width": 4},
    "lama": {"steps": 1, "batch_size": 4, "ngf": 4, "n_blocks": 1, "ndf": 4, "d_layers": 2},
    "pconv": {"steps": 1, "batch_size": 4, "base_channels": 4, "mask_pool": 4},
    "pconv_plainconv": {"steps": 1, "batch_size": 4, "base_channels": 4, "mask_pool": 4},
    "yeh_dcgan": {"steps": 1, "batch_size": 4, "base": 8, "nz": 8, "search_steps": 1,
                  "restarts": 1},
}
# another value of each architecture key (valid for the method's constructor)
CHANGED = {"base": 12, "bottleneck": 16, "width": 8, "downsamples": 1, "dilations": [2, 4],
           "base_channels": 8, "depth": 2, "kernels": [3, 3], "nz": 4, "ngf": 8,
           "n_downsampling": 1, "n_blocks": 2, "global_ratio": 0.5, "max_features": 4}
OWNERS = [n for n in list_methods() if get_method_class(n).learned
          and get_method_class(n).shares_model_with is None]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, toy_blocks_dataset):
    return toy_blocks_dataset(tmp_path_factory.mktemp("loading_data"), SIZE)


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory):
    root, done = tmp_path_factory.mktemp("loading_models"), {}

    def model_dir(owner: str):
        if owner not in done:
            done[owner] = root / owner
            get_method(owner, **TINY[owner], **ENGINE).fit(dataset, done[owner], seed=0,
                                                           device="cpu", threads=1)
        return done[owner]

    return model_dir


def test_every_learned_method_names_its_architecture():
    for name in OWNERS:
        cls = get_method_class(name)
        assert cls.architecture_keys, f"{name}: no architecture_keys"
        assert name in TINY, f"{name}: add toy parameters"
        assert set(cls.architecture_keys) <= set(CHANGED), f"{name}: add a CHANGED value"


@pytest.mark.parametrize("name", OWNERS)
def test_a_changed_architecture_key_is_an_error_naming_both_values(name, trained):
    model = trained(name)
    record = json.loads((model / MODEL_JSON).read_text())
    get_method(name, **TINY[name]).load(model, device="cpu")  # the trained config loads
    for key in get_method_class(name).architecture_keys:
        method = get_method(name, **{**TINY[name], key: CHANGED[key]})
        was = record["hparams"][key]
        assert was != CHANGED[key]
        with pytest.raises(InpaintError) as err:
            method.load(model, device="cpu")
        text = str(err.value)
        assert f"methods.{name}.{key}" in text
        assert repr(CHANGED[key]) in text
        assert repr(was) in text


@pytest.mark.parametrize("name", OWNERS)
def test_other_settings_do_not_block_loading(name, trained):
    """Steps and learning rates are not the architecture: the trained model loads."""
    method = get_method(name, **{**TINY[name], "steps": 7, "lr": 1e-3})
    method.load(trained(name), device="cpu")
    images = np.full((1, SIZE, SIZE, 3), 100, np.uint8)
    known = np.ones((1, SIZE, SIZE), bool)
    known[0, 4:12, 4:12] = False
    assert complete_batch(method, images, known).shape == images.shape


@pytest.mark.parametrize("name", OWNERS)
def test_retrained_model_loads_the_new_architecture(name, dataset, tmp_path):
    key = get_method_class(name).architecture_keys[0]
    params = {**TINY[name], key: CHANGED[key]}
    get_method(name, **params, **ENGINE).fit(dataset, tmp_path / "m", seed=0, device="cpu",
                                             threads=1)
    record = json.loads((tmp_path / "m" / MODEL_JSON).read_text())
    assert record["hparams"][key] == CHANGED[key]
    get_method(name, **params).load(tmp_path / "m", device="cpu")
    with pytest.raises(InpaintError, match=key):
        get_method(name, **TINY[name]).load(tmp_path / "m", device="cpu")


def test_a_variant_takes_the_architecture_of_the_model_it_shares(trained):
    """glcic_raw / yeh_dcgan_raw: their own (default) config blocks do not set the
    architecture; it comes from the owner's model.json."""
    variants = [n for n in list_methods() if get_method_class(n).shares_model_with]
    assert variants
    for name in variants:
        get_method(name).load(trained(get_method_class(name).model_owner()), device="cpu")


def test_model_json_name_is_the_engines():
    from inpaint.training import MODEL_JSON as ENGINE_MODEL_JSON

    assert MODEL_JSON == ENGINE_MODEL_JSON
