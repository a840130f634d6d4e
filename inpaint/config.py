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
from inpaint.paths import project_path

SCHEMA = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"

# config keys that hold file or folder paths (a dataset's; a method's by suffix)
DATASET_PATH_KEYS = ("path", "root", "generator", "font_dirs")
METHOD_PATH_SUFFIXES = ("_weights", "_path", "_dir", "_file")


# the training engine's integer settings and their minimums (TrainConfig checks them
# again at training time; tests/workflow/faults/test_bad_config.py keeps the two lists
# equal), checked here so a wrong type fails before any job rather than at the training job
ENGINE_INT_SETTINGS = {"steps": 1, "batch_size": 1, "threads": 1, "log_every": 1,
                       "n_samples": 1, "seed": 0, "checkpoint_every": 0, "sample_every": 0}


def check_engine_settings(name: str, params: dict) -> None:
    for key, lo in ENGINE_INT_SETTINGS.items():
        value = params.get(key)
        if key in params and (isinstance(value, bool) or not isinstance(value, int)
                              or value < lo):
            raise InpaintError(f"methods.{name}.{key}: must be an integer >= {lo}, "
                               f"got {value!r}")


def check_paths(config: dict) -> None:
    """``project_path`` on every path-valued key of the datasets and methods."""
    for name, block in (config.get("datasets") or {}).items():
        for key in DATASET_PATH_KEYS:
            value = (block or {}).get(key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    project_path(item, f"datasets.{name}.{key}")
    for name, block in method_blocks(config).items():
        check_method_paths(name, block)


def check_method_paths(name: str, params: dict) -> None:
    for key, value in params.items():
        if key.endswith(METHOD_PATH_SUFFIXES) and isinstance(value, str):
            project_path(value, f"methods.{name}.{key}")


def method_blocks(config: dict) -> dict[str, dict]:
    return {name: dict(block or {}) for name, block in config.get("methods", {}).items()}


def external_methods(config: dict) -> list[str]:
    return [name for name, block in method_blocks(config).items() if block.get("external")]


def builtin_methods(config: dict) -> list[str]:
    return [name for name, block in method_blocks(config).items() if not block.get("external")]


# keys of a method's block that the workflow reads and the method never sees:
# external (another rule writes its completions), gpus (processes of its training)
WORKFLOW_KEYS = ("external", "gpus")


def method_params(config: dict, name: str) -> dict:
    """Hyper-parameters of one method, without workflow-only keys."""
    return {k: v for k, v in method_blocks(config)[name].items() if k not in WORKFLOW_KEYS}


def method_gpus(config: dict, name: str) -> int:
    """``methods.<name>.gpus`` (default 1): how many processes (one per GPU, on one node)
    train it; above 1 the train rule starts them with torchrun (inpaint.training.distributed)."""
    gpus = method_blocks(config).get(name, {}).get("gpus", 1)
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1:
        raise InpaintError(f"methods.{name}.gpus must be a positive integer, got {gpus!r}")
    return gpus


def train_gpus(config: dict, name: str) -> int:
    """GPUs the train rule asks the scheduler for: the method's ``gpus`` when the config says
    device: cuda or the method asks for several (a data-parallel run), else none."""
    gpus = method_gpus(config, name)
    return gpus if config.get("device") == "cuda" or gpus > 1 else 0


def launch_prefix(gpus: int) -> str:
    """The command that starts ``inpaint`` for a training: ``python -m inpaint`` for one
    process, torchrun with ``gpus`` processes on this node (one per GPU) for more."""
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1:
        raise InpaintError(f"gpus must be a positive integer, got {gpus!r}")
    if gpus == 1:
        return "python -m inpaint"
    return ("python -m torch.distributed.run --standalone --nnodes=1 "
            f"--nproc_per_node={gpus} -m inpaint")


def check_gpus(config: dict, name: str, learned: bool) -> None:
    """``gpus`` > 1 only for a learned method whose global batch splits evenly."""
    gpus = method_gpus(config, name)
    if gpus == 1:
        return
    if not learned:
        raise InpaintError(f"methods.{name}.gpus: {name} is not trained; only learned "
                           "methods take gpus")
    batch = method_params(config, name).get("batch_size")
    if isinstance(batch, int) and batch % gpus:
        raise InpaintError(f"methods.{name}.batch_size ({batch}) is the global batch and must "
                           f"be divisible by methods.{name}.gpus ({gpus})")


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
        check_gpus(config, name, cls.learned)
        if cls.learned:
            check_engine_settings(name, method_params(config, name))
        try:
            cls(**method_params(config, name))
        except (TypeError, ValueError) as exc:  # an unknown key, or a value of a wrong type
            raise InpaintError(f"methods.{name}: bad hyper-parameter: {exc}") from None
    for name, block in config.get("masks", {}).items():
        check_params(name, block)
    check_generalisation(config)
    check_resolution(config)
    check_paths(config)
    return config


def takes_train_masks(cls) -> bool:
    """Whether a method class draws training masks: a ``train_masks`` parameter of its
    ``__init__`` or of a base class's (a variant may pass its parameters on as **params)."""
    import inspect

    return any("train_masks" in inspect.signature(k.__init__).parameters
               for k in cls.__mro__ if "__init__" in vars(k))


def generalisation_params(config: dict, method: str, maskset: str) -> dict:
    """The block of ``method`` trained on mask set ``maskset`` alone (a generalisation run):
    its own block (an unconfigured model owner: its defaults) with ``train_masks`` the
    evaluation's block of that mask set, drawn from the method's training seed stream."""
    params = method_params(config, method) if method in config.get("methods", {}) else {}
    return {**params, "train_masks": [dict(config["masks"][maskset])]}


def check_generalisation(config: dict) -> None:
    """The optional ``generalisation`` block: configured learned methods that take
    ``train_masks``, configured mask sets that training can draw, no ``seeds``."""
    from inpaint.masks.kinds import MASK_KINDS
    from inpaint.methods import get_method_class, list_methods

    block = config.get("generalisation")
    if block is None:
        return
    if config.get("seeds"):
        raise InpaintError("generalisation: not combined with `seeds` (a run is trained on one "
                           "seed or on one mask set, not both); run them as two configs")
    methods = method_blocks(config)
    for name in block.get("methods") or []:
        where = f"generalisation.methods: {name!r}"
        if name not in methods:
            raise InpaintError(f"{where} is not a configured method (methods: "
                               f"{', '.join(methods)}); its normal run is the reference row")
        if methods[name].get("external") or name not in list_methods() \
                or not get_method_class(name).learned:
            raise InpaintError(f"{where} is not a learned method: only trained methods "
                               "generalise to masks they did not see")
        if not takes_train_masks(get_method_class(name)):
            raise InpaintError(f"{where} has no train_masks parameter (it draws no training "
                               "masks), so it cannot be trained on one mask set")
    masks = config.get("masks", {})
    for maskset in block.get("train_on") or []:
        where = f"generalisation.train_on: {maskset!r}"
        if maskset not in masks:
            raise InpaintError(f"{where} is not a configured mask set (masks: "
                               f"{', '.join(masks)})")
        if MASK_KINDS.get(masks[maskset]["kind"]).per_set:
            raise InpaintError(f"{where} is kind {masks[maskset]['kind']!r}, read as a set "
                               "from files: training draws its masks, so it cannot train on it")
    for name in block.get("methods") or []:
        cls = get_method_class(name)
        for maskset in block.get("train_on") or []:
            params = generalisation_params(config, name, maskset)
            owner = cls.model_owner()
            try:
                cls(**params)
                if owner != name:
                    get_method_class(owner)(**generalisation_params(config, owner, maskset))
            except (TypeError, ValueError, InpaintError) as exc:
                raise InpaintError(f"generalisation: {name} trained on {maskset}: {exc}"
                                   ) from None


def check_resolution(config: dict) -> None:
    """The optional ``resolution`` block: configured built-in methods that complete images of
    any size (every classical method; a fully convolutional learned one such as lama), mask
    sets that can be drawn at any size, no ``seeds``."""
    from inpaint.masks.kinds import MASK_KINDS
    from inpaint.methods import get_method_class, list_methods

    block = config.get("resolution")
    if block is None:
        return
    if config.get("seeds"):
        raise InpaintError("resolution: not combined with `seeds` (a learned method is tested "
                           "at another size with its one model); run them as two configs")
    methods = method_blocks(config)
    for name in block.get("methods") or []:
        where = f"resolution.methods: {name!r}"
        if name not in methods:
            raise InpaintError(f"{where} is not a configured method (methods: "
                               f"{', '.join(methods)})")
        if methods[name].get("external") or name not in list_methods():
            raise InpaintError(f"{where} is external: only built-in methods are completed at "
                               "another size (a rule of yours can write those completions)")
        if not get_method_class(name).any_size:
            raise InpaintError(f"{where} completes only images of the size it was trained on "
                               "(not fully convolutional): it cannot be tested at another size")
    for maskset, mask_block in config.get("masks", {}).items():
        if MASK_KINDS.get(mask_block["kind"]).per_set:
            raise InpaintError(f"resolution: mask set {maskset!r} is kind "
                               f"{mask_block['kind']!r}, read from files of one size: it cannot "
                               "be drawn at another size (drop the resolution block or the set)")


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
        # one line naming the key: jsonschema's error is the context of Snakemake's
        cause = exc.__cause__ or exc.__context__
        where = getattr(cause, "absolute_path", None)
        if where is not None and getattr(cause, "message", None):
            key = ".".join(str(k) for k in where) or "(top level)"
            raise InpaintError(f"config file {path}: {key}: {cause.message}") from None
        raise InpaintError(f"config file {path}: {exc}") from None
    return check_config(config)
