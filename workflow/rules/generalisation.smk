# `generalisation` (config/README.md): learned methods trained on one mask set each, runs
# `{method}.on-{maskset}` (trained by train.smk, completed by complete.smk on every mask
# set), scored here apart from the configured runs' evaluate job and tabled apart from the
# tables rule, so switching it on leaves the configured runs' metrics and tables as they are.
GEN_TABLE_RUNS = [*GENERALISATION["methods"], *GEN_RUNS] if GENERALISATION else []
# the models the table reads what each row was trained on from
GEN_TABLE_MODELS = sorted({owner_run(r) for r in GEN_TABLE_RUNS})

if GENERALISATION:

    use rule evaluate as evaluate_generalisation with:
        input:
            data="results/data/{dataset}",
            masks=expand("results/masks/{{dataset}}/{maskset}", maskset=MASKSETS),
            completions=expand(
                "results/completions/{{dataset}}/{maskset}/{method}",
                maskset=MASKSETS,
                method=GEN_RUNS,
            ),
            weights=EVALUATE_WEIGHTS,
        output:
            expand(
                "results/metrics/{{dataset}}/{maskset}/{method}.csv",
                maskset=MASKSETS,
                method=GEN_RUNS,
            ),
        log:
            "results/logs/evaluate/{dataset}.generalisation.log",
        benchmark:
            "results/benchmarks/evaluate/{dataset}.generalisation.tsv"

    rule generalisation_table:
        input:
            metrics=expand(
                "results/metrics/{dataset}/{maskset}/{method}.csv",
                dataset=DATASETS,
                maskset=MASKSETS,
                method=GEN_TABLE_RUNS,
            ),
            models=expand(
                "results/models/{dataset}/{run}/model.json",
                dataset=DATASETS,
                run=GEN_TABLE_MODELS,
            ),
        output:
            csv="results/tables/generalisation.csv",
            md="results/tables/generalisation.md",
            html=report(
                "results/tables/generalisation.html",
                caption="../report/generalisation.rst",
                category="Tables",
            ),
        log:
            "results/logs/generalisation_table.log",
        conda:
            "../envs/inpaint.yaml"
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            masks=quoted_json(config["masks"]),
        shell:
            "python -m inpaint generalisation-table --metrics {input.metrics}"
            " --models {input.models} --masksets {params.masks} --out results/tables"
            " > {log} 2>&1"
