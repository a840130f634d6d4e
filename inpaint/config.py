"""Checks on a config that JSON schema cannot express, with messages naming the key.

The schema (workflow/schemas/config.schema.yaml) fixes keys and types and fills
defaults; this module checks names against the method registry and the mask
parameters, for Snakemake (common.smk) and the CLI alike.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from inpaint.errors import InpaintError

SCHEMA = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


def method_blocks(config: dict) -> dict[str, dict]:
    return {name: dict(block or {}) for name, block in config.get("methods", {}).items()}


def external_methods(config: dict) -> list[str]:
    return [name for name, block in method_blocks(config).items() if block.get("external")]


def builtin_methods(config: dict) -> list[str]:
    return [name for name, block in method_blocks(config).items() if not block.get("external")]


def method_params(config: dict, name: str) -> dict:
    """Hyper-parameters of one method, without workflow-only keys."""
    return {k: v for k, v in method_blocks(config)[name].items() if k != "external"}


def check_config(config: dict) -> dict:
    """Validate names and values; return the config. Raises InpaintError naming the key."""
    from inpaint.masks import check_params
    from inpaint.methods import get_method_class, list_methods

    for name, block in method_blocks(config).items():
        if block.get("external"):
            if block["external"] is not True:
                raise InpaintError(
                    f"methods.{name}.external: expected true, got {block['external']!r}"
                )
            continue
        if name not in list_methods():
            raise InpaintError(
                f"methods.{name}: unknown method {name!r}. Built-in methods: "
                f"{', '.join(list_methods())}. For a method another rule produces, "
                f"write `{name}: {{external: true}}` and add a rule that writes "
                f"results/completions/{{dataset}}/{{maskset}}/{name}/"
            )
        cls = get_method_class(name)
        try:
            cls(**method_params(config, name))
        except TypeError as exc:
            raise InpaintError(f"methods.{name}: bad hyper-parameter: {exc}") from None
    for name, block in config.get("masks", {}).items():
        check_params(name, block)
    return config


def load_config(path: str | os.PathLike) -> dict:
    """Load a YAML config, fill schema defaults and check it (for the CLI and tests)."""
    from snakemake.utils import validate

    path = Path(path)
    if not path.is_file():
        raise InpaintError(f"config file not found: {path}")
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InpaintError(f"config file {path} is not valid YAML: {exc}") from None
    try:
        validate(config, str(SCHEMA))
    except Exception as exc:
        raise InpaintError(f"config file {path}: {exc}") from None
    return check_config(config)
