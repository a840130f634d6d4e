# One job per dataset scores every mask set x method (LPIPS and ST-LPIPS load once).
rule evaluate:
    input:
        data="results/data/{dataset}",
        masks=expand("results/masks/{{dataset}}/{maskset}", maskset=MASKSETS),
        completions=expand(
            "results/completions/{{dataset}}/{maskset}/{method}", maskset=MASKSETS, method=RUNS
        ),
        weights=EVALUATE_WEIGHTS,
    output:
        expand("results/metrics/{{dataset}}/{maskset}/{method}.csv", maskset=MASKSETS, method=RUNS),
    log:
        "results/logs/evaluate/{dataset}.log",
    benchmark:
        "results/benchmarks/evaluate/{dataset}.tsv"
    wildcard_constraints:
        dataset=alternatives(DATASETS),
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        lpips=LPIPS_ARGS,
        st_lpips="--st-lpips" if config["evaluation"]["st_lpips"] else "--no-st-lpips",
        pm1_hole="--pm1-hole" if config["evaluation"]["pm1_hole"] else "--no-pm1-hole",
    shell:
        "python -m inpaint evaluate --data {input.data} --masks {input.masks}"
        " --completions {input.completions} {params.lpips} {params.st_lpips} {params.pm1_hole}"
        " --threads {threads} --out {output} > {log} 2>&1"


# Every built-in method scored on the validation split (external methods have no
# completions there): the tables rule chooses baselines and representatives on these.
rule validate:
    input:
        data="results/data/{dataset}",
        model=validation_model,
    output:
        "results/validation/{dataset}/{method}.csv",
    log:
        "results/logs/validate/{dataset}/{method}.log",
    benchmark:
        "results/benchmarks/validate/{dataset}/{method}.tsv"
    wildcard_constraints:
        method=alternatives([m for m in BUILTIN if m not in PAIRED]),
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        gpu=lambda wildcards: GPU if wildcards.method in LEARNED else 0,
        mem_mb=4000,
        runtime=60,
    params:
        block=method_json,
        masks=quoted_json(config["masks"]),
        n=config["evaluation"]["validation_n"],
        seed=config["seed"],
        model=validation_model_arg,
        device=config["device"],
        batch_size=config["evaluation"]["batch_size"],
    shell:
        "python -m inpaint validate --data {input.data} --method {wildcards.method}"
        " --params {params.block} {params.model} --masksets {params.masks} --n {params.n}"
        " --seed {params.seed} --device {params.device} --threads {threads}"
        " --batch-size {params.batch_size} --out {output} > {log} 2>&1"


# yeh_dcgan and yeh_dcgan_raw (equal blocks) from one latent search, as in complete_with_raw
rule validate_with_raw:
    input:
        data="results/data/{dataset}",
        model=validation_model,
    output:
        main="results/validation/{dataset}/{method}.csv",
        raw="results/validation/{dataset}/{method}_raw.csv",
    log:
        "results/logs/validate/{dataset}/{method}+raw.log",
    benchmark:
        "results/benchmarks/validate/{dataset}/{method}+raw.tsv"
    wildcard_constraints:
        method=alternatives(WITH_RAW),
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=4000,
        runtime=60,
    params:
        block=method_json,
        masks=quoted_json(config["masks"]),
        n=config["evaluation"]["validation_n"],
        seed=config["seed"],
        model=validation_model_arg,
        device=config["device"],
        batch_size=config["evaluation"]["batch_size"],
    shell:
        "python -m inpaint validate --data {input.data} --method {wildcards.method}"
        " --params {params.block} {params.model} --masksets {params.masks} --n {params.n}"
        " --seed {params.seed} --device {params.device} --threads {threads}"
        " --batch-size {params.batch_size} --out {output.main} --raw-csv {output.raw}"
        " > {log} 2>&1"


rule tables:
    input:
        metrics=expand(
            "results/metrics/{dataset}/{maskset}/{method}.csv",
            dataset=DATASETS,
            maskset=MASKSETS,
            method=RUNS,
        ),
        data=expand("results/data/{dataset}", dataset=DATASETS),
        validation=expand(
            "results/validation/{dataset}/{method}.csv", dataset=DATASETS, method=BUILTIN
        ),
        # how the learned runs were trained: the caveats and loss-term notes
        models=expand(
            "results/models/{dataset}/{run}/model.json", dataset=DATASETS, run=TRAINED_RUNS
        ),
        # methods at `scale` x the training size (resolution.smk): LaMa's resolution claim
        scaled=expand(
            "results/metrics/{dataset}/{maskset}/{method}.csv",
            dataset=RES_DATASETS,
            maskset=MASKSETS,
            method=RES_METHODS,
        ),
    output:
        summary="results/tables/summary.csv",
        summary_md="results/tables/summary.md",
        summary_tex="results/tables/summary.tex",
        summary_html=report(
            "results/tables/summary.html",
            caption="../report/summary.rst",
            category="Tables",
        ),
        by_ratio="results/tables/by_hole_ratio.csv",
        by_ratio_md="results/tables/by_hole_ratio.md",
        by_ratio_html=report(
            "results/tables/by_hole_ratio.html",
            caption="../report/by_hole_ratio.rst",
            category="Tables",
        ),
        paired="results/tables/paired.csv",
        paired_md="results/tables/paired.md",
        paired_html=report(
            "results/tables/paired.html",
            caption="../report/paired.rst",
            category="Tables",
        ),
        claims="results/tables/claims.md",
        claims_html=report(
            "results/tables/claims.html",
            caption="../report/claims.rst",
            category="Claims",
        ),
        seeds="results/tables/seeds.csv",
        seeds_md="results/tables/seeds.md",
        seeds_html=report(
            "results/tables/seeds.html",
            caption="../report/seeds.rst",
            category="Tables",
        ),
    log:
        "results/logs/tables.log",
    conda:
        "../envs/inpaint.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        bootstrap=config["evaluation"]["bootstrap"],
        lpips="--lpips" if config["evaluation"]["lpips"] else "--no-lpips",
        seed=config["seed"],
    shell:
        "python -m inpaint tables --metrics {input.metrics} --data {input.data}"
        " --bootstrap {params.bootstrap} --seed {params.seed} {params.lpips}"
        " --validation {input.validation} --models {input.models}"
        " --scaled-metrics {input.scaled} --out results/tables > {log} 2>&1"
