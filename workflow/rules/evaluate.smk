rule evaluate:
    input:
        data="results/data/{dataset}",
        masks="results/masks/{dataset}/{maskset}",
        completions=expand(
            "results/completions/{{dataset}}/{{maskset}}/{method}", method=METHODS
        ),
    output:
        expand("results/metrics/{{dataset}}/{{maskset}}/{method}.csv", method=METHODS),
    params:
        lpips="--lpips" if config["evaluation"]["lpips"] else "--no-lpips",
        st_lpips="--st-lpips" if config["evaluation"]["st_lpips"] else "--no-st-lpips",
    log:
        "results/logs/evaluate/{dataset}/{maskset}.log",
    benchmark:
        "results/benchmarks/evaluate/{dataset}/{maskset}.tsv"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        "../envs/inpaint.yaml"
    shell:
        "python -m inpaint evaluate --data {input.data} --masks {input.masks}"
        " --completions {input.completions} {params.lpips} {params.st_lpips}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule tables:
    input:
        metrics=expand(
            "results/metrics/{dataset}/{maskset}/{method}.csv",
            dataset=DATASETS,
            maskset=MASKSETS,
            method=METHODS,
        ),
        data=expand("results/data/{dataset}", dataset=DATASETS),
    output:
        summary=report(
            "results/tables/summary.csv",
            caption="../report/summary.rst",
            category="Tables",
        ),
        summary_md="results/tables/summary.md",
        summary_tex="results/tables/summary.tex",
        by_ratio=report(
            "results/tables/by_hole_ratio.csv",
            caption="../report/by_hole_ratio.rst",
            category="Tables",
        ),
        by_ratio_md="results/tables/by_hole_ratio.md",
        paired=report(
            "results/tables/paired.csv",
            caption="../report/paired.rst",
            category="Tables",
        ),
        paired_md="results/tables/paired.md",
        claims=report(
            "results/tables/claims.md",
            caption="../report/claims.rst",
            category="Claims",
        ),
    params:
        bootstrap=config["evaluation"]["bootstrap"],
        lpips="--lpips" if config["evaluation"]["lpips"] else "--no-lpips",
        seed=config["seed"],
    log:
        "results/logs/tables.log",
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/inpaint.yaml"
    shell:
        "python -m inpaint tables --metrics {input.metrics} --data {input.data}"
        " --bootstrap {params.bootstrap} --seed {params.seed} {params.lpips}"
        " --out results/tables > {log} 2>&1"
