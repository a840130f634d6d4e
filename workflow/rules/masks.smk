rule make_masks:
    input:
        data="results/data/{dataset}",
        folder=maskset_folder,
    output:
        directory("results/masks/{dataset}/{maskset}"),
    log:
        "results/logs/make_masks/{dataset}/{maskset}.log",
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        block=maskset_params,
        seed=config["seed"],
    shell:
        "python -m inpaint make-masks --data {input.data} --dataset {wildcards.dataset}"
        " --maskset {wildcards.maskset} --params {params.block} --seed {params.seed}"
        " --out {output} > {log} 2>&1"
