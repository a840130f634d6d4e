# FID / KID (evaluation.fid): InceptionV3 pool-3 features of the test images once per
# dataset, of each method's completions once per mask set; tables over all sets.


rule fid_features:
    input:
        data="results/data/{dataset}",
        weights=FID_WEIGHTS,
    output:
        "results/distribution/{dataset}/test_features.npz",
    log:
        "results/logs/fid_features/{dataset}.log",
    benchmark:
        "results/benchmarks/fid_features/{dataset}.tsv"
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
        gpu=GPU,
    params:
        batch=config["evaluation"]["fid_batch_size"],
        device=config["device"],
    shell:
        "python -m inpaint fid-features --data {input.data} --weights {input.weights}"
        " --batch-size {params.batch} --device {params.device} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule distribution:
    input:
        data="results/data/{dataset}",
        test_features="results/distribution/{dataset}/test_features.npz",
        weights=FID_WEIGHTS,
        completions=expand("results/completions/{{dataset}}/{{maskset}}/{method}", method=RUNS),
    output:
        csv="results/distribution/{dataset}/{maskset}/fid_kid.csv",
        features="results/distribution/{dataset}/{maskset}/features.npz",
    log:
        "results/logs/distribution/{dataset}/{maskset}.log",
    benchmark:
        "results/benchmarks/distribution/{dataset}/{maskset}.tsv"
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=240,
        gpu=GPU,
    params:
        methods=" ".join(RUNS),
        batch=config["evaluation"]["fid_batch_size"],
        subsets=config["evaluation"]["kid_subsets"],
        subset_size=config["evaluation"]["kid_subset_size"],
        seed=config["seed"],
        device=config["device"],
    shell:
        "python -m inpaint distribution --data {input.data}"
        " --test-features {input.test_features} --weights {input.weights}"
        " --completions {input.completions} --methods {params.methods}"
        " --dataset {wildcards.dataset} --maskset {wildcards.maskset}"
        " --batch-size {params.batch} --kid-subsets {params.subsets}"
        " --kid-subset-size {params.subset_size} --seed {params.seed}"
        " --device {params.device} --threads {threads}"
        " --out {output.csv} --features-out {output.features} > {log} 2>&1"


rule distribution_tables:
    input:
        expand(
            "results/distribution/{dataset}/{maskset}/fid_kid.csv",
            dataset=DATASETS,
            maskset=MASKSETS,
        ),
    output:
        csv="results/tables/distribution.csv",
        md="results/tables/distribution.md",
        html=report(
            "results/tables/distribution.html",
            caption="../report/distribution.rst",
            category="Tables",
        ),
    log:
        "results/logs/distribution_tables.log",
    conda:
        "../envs/inpaint.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "python -m inpaint distribution-tables --inputs {input}"
        " --out results/tables > {log} 2>&1"
