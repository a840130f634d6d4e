import copy

import pytest
import yaml

from inpaint.config import (
    builtin_methods,
    check_config,
    external_methods,
    load_config,
    method_params,
)
from inpaint.errors import InpaintError

BASE = {
    "datasets": {"chars": {"kind": "fonts", "size": 16}},
    "masks": {"center": {"kind": "center"}},
    "methods": {"telea": {"radius": 3}, "mine": {"external": True}},
}


def write(tmp_path, config):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_defaults_are_filled(tmp_path):
    config = load_config(write(tmp_path, BASE))
    assert config["seed"] == 0
    assert config["device"] == "auto"
    evaluation = config["evaluation"]
    assert {k: evaluation[k] for k in ("lpips", "lpips_vgg", "st_lpips", "bootstrap",
                                       "figure_columns", "batch_size", "pm1_hole", "fid")} == \
        {"lpips": True, "lpips_vgg": False, "st_lpips": True, "bootstrap": 1000,
         "figure_columns": 8, "batch_size": 64, "pm1_hole": False, "fid": False}
    assert config["datasets"]["chars"]["size"] == 16
    assert builtin_methods(config) == ["telea"]
    assert external_methods(config) == ["mine"]
    assert method_params(config, "mine") == {}


def test_shipped_configs_are_valid():
    for path in ["config.yaml", "config/test.yaml"]:
        load_config(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(sed=1), "'sed' was unexpected"),
        (lambda c: c["datasets"]["chars"].update(sise=16), "'sise' was unexpected"),
        (lambda c: c["datasets"]["chars"].update(kind="fontz"), "'fontz' is not one of"),
        (lambda c: c["datasets"]["chars"].update(size="big"), "'big' is not of type 'integer'"),
        (lambda c: c.update(device="tpu"), "'tpu' is not one of"),
        (lambda c: c["methods"].update(pconvv={}), "unknown method 'pconvv'"),
        (lambda c: c["methods"]["telea"].update(radiuss=2), "methods.telea: bad hyper-parameter"),
        (lambda c: c["masks"]["center"].update(kind="blob"), "'blob' is not one of"),
        (lambda c: c["masks"]["center"].update(p=0.3), r"masks\.center: unknown key"),
        (lambda c: c.pop("methods"), "'methods' is a required property"),
    ],
)
def test_bad_configs_name_the_culprit(tmp_path, change, message):
    config = copy.deepcopy(BASE)
    change(config)
    with pytest.raises(InpaintError, match=message):
        load_config(write(tmp_path, config))


def test_check_config_alone_rejects_unknown_method():
    with pytest.raises(InpaintError, match=r"external: true"):
        check_config({"methods": {"foo": {}}, "masks": {}})


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(InpaintError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets: [unclosed")
    with pytest.raises(InpaintError, match="not valid YAML"):
        load_config(bad)


def test_schema_kinds_are_the_registered_kinds():
    """The config schema's enums of dataset and mask kinds list exactly the registries'."""
    from pathlib import Path

    from inpaint.data import DATASET_KINDS
    from inpaint.masks import MASK_KINDS

    schema = yaml.safe_load(
        (Path(__file__).parents[2] / "workflow" / "schemas" / "config.schema.yaml").read_text())
    props = schema["properties"]
    datasets = props["datasets"]["additionalProperties"]["properties"]["kind"]["enum"]
    masks = props["masks"]["additionalProperties"]["properties"]["kind"]["enum"]
    assert datasets == DATASET_KINDS.names()
    assert masks == MASK_KINDS.names()
