rule complete:
    input:
        data="results/data/{dataset}",
        masks="results/masks/{dataset}/{maskset}",
    output:
        directory("results/completions/{dataset}/{maskset}/{method}"),
    wildcard_constraints:
        method=alternatives(CLASSICAL),
    params:
        block=method_json,
        batch_size=config["evaluation"]["batch_size"],
    log:
        "results/logs/complete/{dataset}/{maskset}/{method}.log",
    benchmark:
        "results/benchmarks/complete/{dataset}/{maskset}/{method}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    conda:
        "../envs/inpaint.yaml"
    shell:
        "python -m inpaint complete-set --data {input.data} --masks {input.masks}"
        " --method {wildcards.method} --params {params.block}"
        " --threads {threads} --batch-size {params.batch_size}"
        " --out {output} > {log} 2>&1"


rule complete_learned:
    input:
        data="results/data/{dataset}",
        masks="results/masks/{dataset}/{maskset}",
        model=model_json,
    output:
        directory("results/completions/{dataset}/{maskset}/{method}"),
    wildcard_constraints:
        method=alternatives(ALONE_RUNS),
    params:
        method=base_method,
        block=method_json,
        device=config["device"],
        batch_size=config["evaluation"]["batch_size"],
        model=lambda wildcards, input: Path(input.model).parent,
    log:
        "results/logs/complete/{dataset}/{maskset}/{method}.log",
    benchmark:
        "results/benchmarks/complete/{dataset}/{maskset}/{method}.tsv"
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/inpaint.yaml"
    shell:
        "python -m inpaint complete-set --data {input.data} --masks {input.masks}"
        " --method {params.method} --params {params.block} --model {params.model}"
        " --device {params.device} --threads {threads} --batch-size {params.batch_size}"
        " --out {output} > {log} 2>&1"


rule complete_with_raw:
    input:
        data="results/data/{dataset}",
        masks="results/masks/{dataset}/{maskset}",
        model=pair_model_json,
    output:
        main=directory("results/completions/{dataset}/{maskset}/{method}{suffix}"),
        raw=directory("results/completions/{dataset}/{maskset}/{method}_raw{suffix}"),
    wildcard_constraints:
        method=alternatives(WITH_RAW),
        suffix=r"(\.seed\d+)?",
    params:
        block=method_json,
        device=config["device"],
        batch_size=config["evaluation"]["batch_size"],
        model=lambda wildcards, input: Path(input.model).parent,
    log:
        "results/logs/complete/{dataset}/{maskset}/{method}{suffix}+raw.log",
    benchmark:
        "results/benchmarks/complete/{dataset}/{maskset}/{method}{suffix}+raw.tsv"
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/inpaint.yaml"
    shell:
        "python -m inpaint complete-set --data {input.data} --masks {input.masks}"
        " --method {wildcards.method} --params {params.block} --model {params.model}"
        " --device {params.device} --threads {threads} --batch-size {params.batch_size}"
        " --out {output.main} --raw-out {output.raw} > {log} 2>&1"
