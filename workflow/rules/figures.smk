rule figure:
    input:
        data="results/data/{dataset}",
        masks="results/masks/{dataset}/{maskset}",
        completions=expand(
            "results/completions/{{dataset}}/{{maskset}}/{method}", method=FIGURE_RUNS
        ),
    output:
        report(
            "results/figures/{dataset}/{maskset}.png",
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "mask set": "{maskset}"},
        ),
    log:
        "results/logs/figure/{dataset}/{maskset}.log",
    conda:
        "../envs/inpaint.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        labels=" ".join(FIGURE_RUNS),
        columns=config["evaluation"]["figure_columns"],
    shell:
        "python -m inpaint figure --data {input.data} --masks {input.masks}"
        " --completions {input.completions} --labels {params.labels}"
        " --columns {params.columns}"
        " --out {output} > {log} 2>&1"
