# The exportable, verifiable benchmark of a dataset (inpaint/benchmark_manifest.py):
# its test images and every mask set copied into results/benchmark/{dataset}/ with
# manifest.csv (sha256 per file, hole ratios, generators, parameters, seed, version),
# then checked by recomputing every hash, as another lab would with the exported folder.
rule benchmark_manifest:
    input:
        data="results/data/{dataset}",
        masks=expand("results/masks/{{dataset}}/{maskset}", maskset=MASKSETS),
    output:
        directory("results/benchmark/{dataset}"),
    log:
        "results/logs/benchmark_manifest/{dataset}.log",
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        masks=quoted_json(config["masks"]),
        seed=config["seed"],
    shell:
        "python -m inpaint benchmark-manifest --data {input.data} --masks {input.masks}"
        " --mask-params {params.masks} --seed {params.seed} --out {output} > {log} 2>&1"


rule verify_benchmark:
    input:
        "results/benchmark/{dataset}",
    output:
        "results/benchmark/{dataset}.verified.txt",
    log:
        "results/logs/verify_benchmark/{dataset}.log",
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m inpaint verify-benchmark {input} --out {output} > {log} 2>&1"
