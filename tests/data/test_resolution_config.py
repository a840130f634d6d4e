"""The config's optional `resolution` block (inpaint.config.check_resolution): methods
that complete any size, mask sets drawn at any size, clear errors naming the key."""

import copy

import pytest
import yaml

from inpaint.config import load_config
from inpaint.errors import InpaintError
from inpaint.methods import get_method_class, list_methods

BASE = {
    "datasets": {"chars": {"kind": "fonts", "size": 16}},
    "masks": {"center": {"kind": "center", "scale": 0.5}, "pixels": {"kind": "pixels", "p": 0.8}},
    "methods": {"telea": {"radius": 3}, "biharmonic": {}, "lama": {"steps": 3},
                "pconv": {"steps": 2}},
    "resolution": {"scale": 2, "methods": ["lama", "telea", "biharmonic"]},
}


def write(tmp_path, config):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_valid_block_loads_and_the_default_config_has_one(tmp_path):
    assert load_config(write(tmp_path, BASE))["resolution"]["scale"] == 2
    default = load_config("config.yaml")["resolution"]
    assert default["scale"] == 2
    assert "lama" in default["methods"]


def test_which_methods_complete_any_size():
    any_size = {m for m in list_methods() if get_method_class(m).any_size}
    learned = {m for m in any_size if get_method_class(m).learned}
    assert learned == {"lama"}
    assert {"biharmonic", "telea", "navier_stokes", "shiftmap", "fsr"} <= any_size
    assert not get_method_class("pconv").any_size


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["resolution"].update(methods=["pconv"]),
         r"resolution\.methods: 'pconv' completes only images of the size it was trained on"),
        (lambda c: c["resolution"].update(methods=["glcic"]),
         r"resolution\.methods: 'glcic' is not a configured method"),
        (lambda c: (c["methods"].update(mine={"external": True}),
                    c["resolution"].update(methods=["mine"])),
         r"resolution\.methods: 'mine' is external"),
        (lambda c: c.update(seeds=[0, 1]), r"resolution: not combined with `seeds`"),
        (lambda c: c["resolution"].update(scale=1), "resolution.scale"),
        (lambda c: c["resolution"].pop("scale"), "'scale' is a required property"),
        (lambda c: c["resolution"].update(methods=[]), "resolution.methods"),
    ],
)
def test_bad_blocks_name_the_key(tmp_path, change, message):
    config = copy.deepcopy(BASE)
    change(config)
    with pytest.raises(InpaintError, match=message):
        load_config(write(tmp_path, config))


def test_a_folder_mask_set_cannot_be_drawn_at_another_size(tmp_path):
    folder = tmp_path / "masks"
    folder.mkdir()
    config = copy.deepcopy(BASE)
    config["masks"]["files"] = {"kind": "folder", "path": str(folder)}
    with pytest.raises(InpaintError, match="resolution: mask set 'files' is kind 'folder'"):
        load_config(write(tmp_path, config))
