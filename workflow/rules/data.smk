rule fetch_face_generator:
    output:
        FACE_GENERATOR_WHEEL,
    log:
        "results/logs/fetch_face_generator.log",
    conda:
        "../envs/inpaint.yaml"
    shell:
        "python -m inpaint fetch-faces --out {output} > {log} 2>&1"


rule prepare_dataset:
    input:
        dataset_inputs,
    output:
        directory("results/data/{dataset}"),
    log:
        "results/logs/prepare_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/prepare_dataset/{dataset}.tsv"
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        name=base_dataset,
        scale=dataset_scale_arg,
        block=dataset_params,
        seed=config["seed"],
    shell:
        "python -m inpaint prepare-data --name {params.name} {params.scale}"
        " --params {params.block} --seed {params.seed} --threads {threads}"
        " --out {output} > {log} 2>&1"
