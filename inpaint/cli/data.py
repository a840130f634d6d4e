"""Subcommands for datasets, mask sets, benchmark folders and configs."""

from __future__ import annotations

import os

from inpaint.cli.common import add_common, command, json_object


def _fetch_faces_options(p) -> None:
    p.add_argument("--out", required=True)


@command("fetch-faces",
         "download the gan-face-generate wheel (synthetic-face DCGAN) and check its sha256",
         _fetch_faces_options)
def fetch_faces(args) -> None:
    from inpaint.data.faces import fetch_face_generator

    fetch_face_generator(args.out)


def _prepare_data_options(p) -> None:
    p.add_argument("--name", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--scale", type=int, default=1,
                   help="write only the test split, at SCALE x the configured size "
                        "(dataset NAME.xSCALE; default 1: every split at the size)")
    add_common(p, seed=True, threads=True, params=True)


@command("prepare-data", "build a dataset's train/val/test splits", _prepare_data_options)
def prepare_data(args) -> None:
    from inpaint.data import prepare_dataset

    info = prepare_dataset(args.name, args.params, args.out, seed=args.seed, scale=args.scale)
    print(f"{info.name}: {info.counts} images of {info.size}x{info.size}x{info.channels}")


def _make_masks_options(p) -> None:
    p.add_argument("--data", required=True, help="prepared dataset folder")
    p.add_argument("--dataset", required=True)
    p.add_argument("--maskset", required=True)
    p.add_argument("--out", required=True)
    add_common(p, seed=True, params=True)


@command("make-masks", "generate one mask per test image of a dataset", _make_masks_options)
def make_masks(args) -> None:
    from inpaint.data.store import load_info, load_split
    from inpaint.masks import build_maskset

    info = load_info(args.data)
    ids, _ = load_split(args.data, "test")
    manifest = build_maskset(args.out, ids, info.size, args.dataset, args.maskset, args.params,
                             args.seed)
    print(f"{args.dataset}/{args.maskset}: {len(manifest)} masks, "
          f"mean hole ratio {manifest.hole_ratio.mean():.3f}")


def _benchmark_manifest_options(p) -> None:
    p.add_argument("--data", required=True, help="prepared dataset folder")
    p.add_argument("--masks", nargs="+", required=True,
                   help="mask set folders (results/masks/{dataset}/{maskset})")
    p.add_argument("--mask-params", type=json_object, required=True,
                   help="JSON object: maskset name -> its config block (config masks:)")
    p.add_argument("--out", required=True, help="benchmark folder")
    add_common(p, seed=True)


@command("benchmark-manifest",
         "copy a dataset's test images and mask sets into an exportable benchmark folder "
         "with manifest.csv (sha256 per file, hole ratios, generators, seed, version)",
         _benchmark_manifest_options)
def benchmark_manifest(args) -> None:
    from inpaint.benchmark_manifest import build_benchmark

    names = [os.path.basename(os.path.normpath(m)) for m in args.masks]
    frame = build_benchmark(args.data, dict(zip(names, args.masks, strict=True)),
                            args.mask_params, args.seed, args.out)
    print(f"{args.out}: manifest of {len(frame)} files ({len(names)} mask set(s))")


def _verify_benchmark_options(p) -> None:
    p.add_argument("dir", help="benchmark folder (results/benchmark/{dataset} or an export)")
    p.add_argument("--out", help="also write the one-line result here when it passes")


@command("verify-benchmark",
         "recompute the hashes and hole ratios a benchmark folder's manifest.csv names; "
         "exit 2 naming the first difference",
         _verify_benchmark_options)
def verify_benchmark(args) -> None:
    from inpaint.benchmark_manifest import verify_benchmark

    n = verify_benchmark(args.dir)
    line = f"{args.dir}: all {n} files match manifest.csv"
    if args.out:
        from inpaint.io import write_text

        write_text(args.out, line + "\n")
    print(line)


def _check_config_options(p) -> None:
    p.add_argument("config")


@command("check-config", "validate a config file (schema + names)", _check_config_options)
def check_config(args) -> None:
    from inpaint.config import load_config

    config = load_config(args.config)
    print(f"{args.config}: OK ({len(config['datasets'])} datasets, {len(config['masks'])} mask "
          f"sets, {len(config['methods'])} methods)")
