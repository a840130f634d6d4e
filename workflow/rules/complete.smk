rule complete:
    input:
        unpack(model_input),
        data="results/data/{dataset}",
        masks="results/masks/{dataset}/{maskset}",
    output:
        directory("results/completions/{dataset}/{maskset}/{method}"),
    wildcard_constraints:
        method=alternatives(BUILTIN),
    params:
        block=method_json,
        device=config["device"],
        batch_size=config["evaluation"]["batch_size"],
        model=lambda wildcards, input: (
            f"--model {Path(input.model).parent}" if "model" in input.keys() else ""
        ),
    log:
        "results/logs/complete/{dataset}/{maskset}/{method}.log",
    benchmark:
        "results/benchmarks/complete/{dataset}/{maskset}/{method}.tsv"
    threads: 1
    resources:
        gpu=lambda wildcards: use_cuda(wildcards.method),
    conda:
        "../envs/inpaint.yaml"
    shell:
        "python -m inpaint complete-set --data {input.data} --masks {input.masks}"
        " --method {wildcards.method} --params {params.block} {params.model}"
        " --device {params.device} --threads {threads} --batch-size {params.batch_size}"
        " --out {output} > {log} 2>&1"
