# inpaint: a reproducible workflow for image-inpainting research.
# Index only; rules live in workflow/rules/, logic in the inpaint package.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/masks.smk"
include: "workflow/rules/benchmark.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/complete.smk"
include: "workflow/rules/external_example.smk"
include: "workflow/rules/external_iopaint.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/generalisation.smk"
include: "workflow/rules/resolution.smk"
include: "workflow/rules/pretrained.smk"
include: "workflow/rules/distribution.smk"
include: "workflow/rules/figures.smk"


localrules:
    all,


rule all:
    default_target: True
    input:
        all_targets(),
