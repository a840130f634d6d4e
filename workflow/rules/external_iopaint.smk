# The official LaMa (the big-lama checkpoint, Places2, 256 px training) as an external
# method, run by IOPaint's command line (`iopaint run --model lama`) from an environment
# of its own (docs/adding-a-method.md, "Running the official LaMa through IOPaint").
# Needed only when the config lists it:
#
#   methods:
#     iopaint_lama:
#       external: true
#       checkpoint_file: resources/iopaint/big-lama.pt   # the default
#       command: /path/to/iopaint-env/bin/iopaint        # default: iopaint on PATH
#       device: cuda                                     # default: the config's device
IOPAINT_LAMA = config["methods"].get("iopaint_lama") or {}
IOPAINT_LAMA_DEVICE = IOPAINT_LAMA.get("device", config["device"])
if IOPAINT_LAMA_DEVICE not in ("auto", "cpu", "cuda"):
    raise ValueError(
        f"methods.iopaint_lama.device: expected auto, cpu or cuda, got {IOPAINT_LAMA_DEVICE!r}"
    )


rule iopaint_lama:
    input:
        data="results/data/{dataset}",
        masks="results/masks/{dataset}/{maskset}",
        checkpoint=str(
            Path(IOPAINT_LAMA.get("checkpoint_file", "resources/iopaint/big-lama.pt")).expanduser()
        ),
    output:
        directory("results/completions/{dataset}/{maskset}/iopaint_lama"),
    log:
        "results/logs/complete/{dataset}/{maskset}/iopaint_lama.log",
    benchmark:
        "results/benchmarks/complete/{dataset}/{maskset}/iopaint_lama.tsv"
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        gpu=int(IOPAINT_LAMA_DEVICE == "cuda"),
        mem_mb=4000,
        runtime=30,
    params:
        script=workflow.source_path("../scripts/iopaint_lama.py"),
        command=shlex.quote(str(IOPAINT_LAMA.get("command", "iopaint"))),
        device=IOPAINT_LAMA_DEVICE,
    shell:
        "python {params.script} --images {input.data}/test --masks {input.masks}"
        " --checkpoint {input.checkpoint:q} --iopaint {params.command}"
        " --device {params.device} --threads {threads} --out {output} > {log} 2>&1"
