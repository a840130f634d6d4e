rule train:
    input:
        "results/data/{dataset}",
    output:
        # model.json is written last; the folder (checkpoints, log, samples) is
        # not a directory() output so a rerun resumes from its last checkpoint
        "results/models/{dataset}/{method}/model.json",
        report(
            "results/models/{dataset}/{method}/loss_curve.png",
            caption="../report/loss_curve.rst",
            category="Training",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "method": "{method}"},
        ),
    wildcard_constraints:
        method=alternatives(TRAINED),
    params:
        block=method_json,
        seed=config["seed"],
        device=config["device"],
    log:
        "results/logs/train/{dataset}/{method}.log",
    benchmark:
        "results/benchmarks/train/{dataset}/{method}.tsv"
    threads: 2
    resources:
        gpu=GPU,
        mem_mb=8000,
        runtime=720,
    conda:
        "../envs/inpaint.yaml"
    shell:
        "python -m inpaint train --data {input} --method {wildcards.method} --params {params.block}"
        " --seed {params.seed} --device {params.device} --threads {threads}"
        " --out results/models/{wildcards.dataset}/{wildcards.method} > {log} 2>&1"
