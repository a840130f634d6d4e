# One job per dataset x method completes every mask set (the method, and a learned
# method's model, load once); the layout stays one folder per mask set.


rule complete:
    input:
        data="results/data/{dataset}",
        masks=expand("results/masks/{{dataset}}/{maskset}", maskset=MASKSETS),
    output:
        directory(expand("results/completions/{{dataset}}/{maskset}/{{method}}", maskset=MASKSETS)),
    log:
        "results/logs/complete/{dataset}/{method}.log",
    benchmark:
        "results/benchmarks/complete/{dataset}/{method}.tsv"
    wildcard_constraints:
        method=alternatives(CLASSICAL),
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        block=method_json,
        batch_size=config["evaluation"]["batch_size"],
    shell:
        "python -m inpaint complete-set --data {input.data} --masks {input.masks}"
        " --method {wildcards.method} --params {params.block}"
        " --threads {threads} --batch-size {params.batch_size}"
        " --out {output} > {log} 2>&1"


rule complete_learned:
    input:
        data="results/data/{dataset}",
        masks=expand("results/masks/{{dataset}}/{maskset}", maskset=MASKSETS),
        model=model_json,
    output:
        directory(expand("results/completions/{{dataset}}/{maskset}/{{method}}", maskset=MASKSETS)),
    log:
        "results/logs/complete/{dataset}/{method}.log",
    benchmark:
        "results/benchmarks/complete/{dataset}/{method}.tsv"
    wildcard_constraints:
        method=alternatives(ALONE_RUNS + GEN_RUNS),
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=4000,
        runtime=60,
    params:
        method=base_method,
        block=method_json,
        device=config["device"],
        batch_size=config["evaluation"]["batch_size"],
        model=lambda wildcards, input: Path(input.model).parent,
    shell:
        "python -m inpaint complete-set --data {input.data} --masks {input.masks}"
        " --method {params.method} --params {params.block} --model {params.model}"
        " --device {params.device} --threads {threads} --batch-size {params.batch_size}"
        " --out {output} > {log} 2>&1"


rule complete_with_raw:
    input:
        data="results/data/{dataset}",
        masks=expand("results/masks/{{dataset}}/{maskset}", maskset=MASKSETS),
        model=pair_model_json,
    output:
        main=directory(
            expand(
                "results/completions/{{dataset}}/{maskset}/{{method}}{{suffix}}", maskset=MASKSETS
            )
        ),
        raw=directory(
            expand(
                "results/completions/{{dataset}}/{maskset}/{{method}}_raw{{suffix}}",
                maskset=MASKSETS,
            )
        ),
    log:
        "results/logs/complete/{dataset}/{method}{suffix}+raw.log",
    benchmark:
        "results/benchmarks/complete/{dataset}/{method}{suffix}+raw.tsv"
    wildcard_constraints:
        method=alternatives(WITH_RAW),
        suffix=r"(\.seed\d+)?",
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=4000,
        runtime=60,
    params:
        block=method_json,
        device=config["device"],
        batch_size=config["evaluation"]["batch_size"],
        model=lambda wildcards, input: Path(input.model).parent,
    shell:
        "python -m inpaint complete-set --data {input.data} --masks {input.masks}"
        " --method {wildcards.method} --params {params.block} --model {params.model}"
        " --device {params.device} --threads {threads} --batch-size {params.batch_size}"
        " --out {output.main} --raw-out {output.raw} > {log} 2>&1"
