"""The config's optional `generalisation` block (inpaint.config) and its run names
(inpaint.runs): clear errors naming the key, and the blocks the generalisation runs train."""

import copy

import pytest
import yaml

from inpaint.config import check_config, generalisation_params, load_config, takes_train_masks
from inpaint.errors import InpaintError
from inpaint.methods import get_method_class
from inpaint.runs import (
    generalisation_run,
    generalisation_runs,
    split_run,
    split_train_on,
    with_method,
)

BASE = {
    "datasets": {"chars": {"kind": "fonts", "size": 16}},
    "masks": {"center": {"kind": "center", "scale": 0.5}, "pixels": {"kind": "pixels", "p": 0.8}},
    "methods": {"telea": {"radius": 3}, "glcic": {"steps": 3}, "glcic_raw": {},
                "yeh_dcgan": {}, "context_encoder_l2": {"steps": 2}},
    "generalisation": {"methods": ["glcic", "context_encoder_l2"],
                       "train_on": ["center", "pixels"]},
}


def write(tmp_path, config):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_run_names_split_back():
    run = generalisation_run("pconv_plainconv", "lama_thin")
    assert run == "pconv_plainconv.on-lama_thin"
    assert split_train_on(run) == ("pconv_plainconv", "lama_thin")
    assert split_run(run) == ("pconv_plainconv", None)
    assert split_train_on("pconv.seed2") == ("pconv.seed2", None)
    assert split_run("pconv.seed2") == ("pconv", 2)
    assert with_method("glcic_raw.on-box", "glcic") == "glcic.on-box"
    assert with_method("glcic_raw.seed3", "glcic") == "glcic.seed3"
    assert with_method("glcic_raw", "glcic") == "glcic"
    assert generalisation_runs(["a", "b"], ["x", "y"]) == ["a.on-x", "a.on-y", "b.on-x", "b.on-y"]
    with pytest.raises(InpaintError, match="is not"):
        split_train_on("pconv.on-")


def test_a_valid_block_loads_and_its_runs_train_on_one_mask_set(tmp_path):
    config = load_config(write(tmp_path, BASE))
    params = generalisation_params(config, "glcic", "pixels")
    assert params == {"steps": 3, "train_masks": [{"kind": "pixels", "p": 0.8}]}
    # the configured block is left as it was (the reference run trains on its mixture)
    assert config["methods"]["glcic"] == {"steps": 3}
    # a model owner trained only for a variant: its defaults, and the one mask set
    assert generalisation_params(config, "pconv", "center") == {
        "train_masks": [{"kind": "center", "scale": 0.5}]}


def test_the_shipped_generalisation_config_is_valid():
    config = load_config("config/generalisation.yaml")
    assert config["generalisation"]["train_on"] == list(config["masks"])
    assert "generalisation" not in load_config("config.yaml")


def test_which_methods_take_train_masks():
    for name in ["glcic", "glcic_raw", "pconv", "pconv_plainconv", "context_encoder",
                 "context_encoder_l2"]:
        assert takes_train_masks(get_method_class(name)), name
    assert not takes_train_masks(get_method_class("yeh_dcgan"))
    assert not takes_train_masks(get_method_class("telea"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["generalisation"].update(methods=["pconv"]),
         r"generalisation\.methods: 'pconv' is not a configured method"),
        (lambda c: c["generalisation"].update(methods=["telea"]),
         r"generalisation\.methods: 'telea' is not a learned method"),
        (lambda c: c["generalisation"].update(methods=["yeh_dcgan"]),
         r"generalisation\.methods: 'yeh_dcgan' has no train_masks parameter"),
        (lambda c: (c["methods"].update(mine={"external": True}),
                    c["generalisation"].update(methods=["mine"])),
         r"generalisation\.methods: 'mine' is not a learned method"),
        (lambda c: c["generalisation"].update(train_on=["box"]),
         r"generalisation\.train_on: 'box' is not a configured mask set"),
        (lambda c: c.update(seeds=[0, 1]), r"generalisation: not combined with `seeds`"),
        (lambda c: c["generalisation"].update(train_on=[]), "generalisation.train_on"),
        (lambda c: c["generalisation"].pop("methods"), "'methods' is a required property"),
        (lambda c: c["generalisation"].update(methds=["glcic"]), "'methds' was unexpected"),
        (lambda c: c["generalisation"].update(train_on=["center", "center"]),
         "non-unique elements"),
    ],
)
def test_bad_blocks_name_the_key(tmp_path, change, message):
    config = copy.deepcopy(BASE)
    change(config)
    with pytest.raises(InpaintError, match=message):
        load_config(write(tmp_path, config))


def test_a_folder_mask_set_cannot_be_trained_on(tmp_path):
    folder = tmp_path / "masks"
    folder.mkdir()
    config = copy.deepcopy(BASE)
    config["masks"]["files"] = {"kind": "folder", "path": str(folder)}
    config["generalisation"]["train_on"] = ["files"]
    with pytest.raises(InpaintError, match=r"generalisation\.train_on: 'files' is kind "
                                           r"'folder', read as a set"):
        check_config(config)



def test_lama_mask_sets_can_be_trained_on(tmp_path):
    """LaMa's protocols are drawn mask by mask, so a model can train on each alone."""
    from inpaint.masks.mixture import check_mixture

    config = copy.deepcopy(BASE)
    config["masks"] = {k: {"kind": k} for k in ["lama_thin", "lama_medium", "lama_thick"]}
    config["generalisation"]["train_on"] = list(config["masks"])
    config = load_config(write(tmp_path, config))
    for maskset in config["masks"]:
        blocks = generalisation_params(config, "glcic", maskset)["train_masks"]
        assert check_mixture("x", blocks) == [{"kind": maskset, "weight": 1.0}]
