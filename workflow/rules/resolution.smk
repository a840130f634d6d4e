# `resolution` (config/README.md): every dataset's test split at `scale` x its size
# (`{dataset}.x{scale}`, made by prepare_dataset, its masks by make_masks), completed by the
# listed methods (complete.smk; learned ones with the model of the configured dataset),
# scored here apart from the configured datasets' evaluate job and tabled apart from the
# summary; the tables rule's claims page reads the scores for LaMa's resolution claim.
RES_TABLE_METRICS = expand(
    "results/metrics/{dataset}/{maskset}/{method}.csv",
    dataset=DATASETS + RES_DATASETS,
    maskset=MASKSETS,
    method=RES_METHODS,
)

if RESOLUTION:

    use rule evaluate as evaluate_resolution with:
        input:
            data="results/data/{dataset}",
            masks=expand("results/masks/{{dataset}}/{maskset}", maskset=MASKSETS),
            completions=expand(
                "results/completions/{{dataset}}/{maskset}/{method}",
                maskset=MASKSETS,
                method=RES_METHODS,
            ),
            weights=EVALUATE_WEIGHTS,
        output:
            expand(
                "results/metrics/{{dataset}}/{maskset}/{method}.csv",
                maskset=MASKSETS,
                method=RES_METHODS,
            ),
        log:
            "results/logs/evaluate/{dataset}.log",
        benchmark:
            "results/benchmarks/evaluate/{dataset}.tsv"
        wildcard_constraints:
            dataset=alternatives(RES_DATASETS),

    rule resolution_table:
        input:
            metrics=RES_TABLE_METRICS,
            data=expand("results/data/{dataset}", dataset=DATASETS + RES_DATASETS),
        output:
            csv="results/tables/resolution.csv",
            md="results/tables/resolution.md",
            html=report(
                "results/tables/resolution.html",
                caption="../report/resolution.rst",
                category="Tables",
            ),
        log:
            "results/logs/resolution_table.log",
        conda:
            "../envs/inpaint.yaml"
        resources:
            mem_mb=1000,
            runtime=10,
        shell:
            "python -m inpaint resolution-table --metrics {input.metrics}"
            " --data {input.data} --out results/tables > {log} 2>&1"
