# An external method added as one rule: any rule that writes
# results/completions/{dataset}/{maskset}/<name>/{image_id}.png for every test
# image is a method. List it in the config as `<name>: {external: true}` and
# evaluation, tables and figures pick it up. This one fills each hole with the
# mean of the image's known pixels, by a standalone script (no inpaint import).


rule example_mean_fill:
    input:
        data="results/data/{dataset}",
        masks="results/masks/{dataset}/{maskset}",
    output:
        directory("results/completions/{dataset}/{maskset}/example_mean_fill"),
    log:
        "results/logs/complete/{dataset}/{maskset}/example_mean_fill.log",
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    params:
        script=workflow.source_path("../scripts/mean_fill.py"),
    shell:
        "python {params.script} --images {input.data}/test"
        " --masks {input.masks} --out {output} > {log} 2>&1"
