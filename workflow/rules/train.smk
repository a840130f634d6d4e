rule train:
    input:
        data="results/data/{dataset}",
        pretrained=pretrained_inputs,
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
    log:
        "results/logs/train/{dataset}/{method}.log",
    benchmark:
        "results/benchmarks/train/{dataset}/{method}.tsv"
    wildcard_constraints:
        method=alternatives(TRAINED_RUNS + GEN_TRAINED),
    conda:
        "../envs/inpaint.yaml"
    threads: 2
    resources:
        gpu=lambda wildcards: train_gpus(config, base_method(wildcards)),
        mem_mb=8000,
        runtime=720,
    params:
        method=base_method,
        block=method_json,
        seed=run_seed,
        device=config["device"],
        # gpus > 1: torchrun starts one data-parallel process per GPU on this node
        launcher=lambda wildcards: launch_prefix(method_gpus(config, base_method(wildcards))),
    shell:
        "{params.launcher} train --data {input.data} --method {params.method} --params {params.block}"
        " --seed {params.seed} --device {params.device} --threads {threads}"
        " --out results/models/{wildcards.dataset}/{wildcards.method} > {log} 2>&1"
