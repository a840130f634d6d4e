"""Subcommands that score completions and summarise the scores."""

from __future__ import annotations

import argparse

from inpaint.cli.common import add_common, command, json_object, ready_method
from inpaint.errors import InpaintError


def _evaluate_options(p) -> None:
    p.add_argument("--data", required=True)
    p.add_argument("--masks", required=True, nargs="+", help="mask set folder(s)")
    p.add_argument("--completions", nargs="+", required=True,
                   help="one folder per method; with several mask sets, one block of folders "
                   "per mask set in the order of --masks")
    p.add_argument("--out", nargs="+", required=True, help="one metrics CSV per folder")
    p.add_argument("--lpips", action=argparse.BooleanOptionalAction, default=True,
                   help="LPIPS column (lpips package, AlexNet, v0.1, ImageNet backbone)")
    p.add_argument("--lpips-weights", help="ImageNet AlexNet file (inpaint fetch-weights "
                   "imagenet); default: torchvision's cache, else "
                   "resources/pretrained/alexnet_imagenet.pt")
    p.add_argument("--lpips-vgg", action=argparse.BooleanOptionalAction, default=False,
                   help="lpips_vgg column (LPIPS with the ImageNet VGG16 backbone)")
    p.add_argument("--lpips-vgg-weights", help="ImageNet VGG16 file (default as for AlexNet)")
    p.add_argument("--st-lpips", action=argparse.BooleanOptionalAction, default=True,
                   help="ST-LPIPS column (offline: weights ship in stlpips-pytorch)")
    p.add_argument("--pm1-hole", action=argparse.BooleanOptionalAction, default=False,
                   help="also l1_hole_pm1 / l2_hole_pm1: hole L1 / L2 on the [-1, 1] scale "
                        "x 100 (Context-Encoder re-implementations' convention)")
    add_common(p, threads=True)


@command("evaluate",
         "score methods' completions of one or several mask sets (one CSV per method and "
         "mask set, a row per image; perceptual networks loaded once)",
         _evaluate_options)
def evaluate(args) -> None:
    from inpaint.evaluation.evaluate import evaluate_masksets

    frames = evaluate_masksets(args.data, args.masks, args.completions, args.out,
                               use_lpips=args.lpips, use_st_lpips=args.st_lpips,
                               pm1_hole=args.pm1_hole, lpips_weights=args.lpips_weights,
                               use_lpips_vgg=args.lpips_vgg,
                               lpips_vgg_weights=args.lpips_vgg_weights)
    for frame, out in zip(frames, args.out, strict=True):
        print(f"scored {len(frame)} images -> {out}")


def _tables_options(p) -> None:
    p.add_argument("--metrics", nargs="+", required=True,
                   help="results/metrics/{dataset}/{maskset}/{method}.csv files")
    p.add_argument("--out", required=True, help="tables folder")
    p.add_argument("--data", nargs="*", default=[],
                   help="prepared dataset folders (their display labels label the tables)")
    p.add_argument("--bootstrap", type=int, default=1000)
    p.add_argument("--lpips", action=argparse.BooleanOptionalAction, default=True,
                   help="whether LPIPS was requested (explains an empty column)")
    p.add_argument("--validation", nargs="*", default=[],
                   help="results/validation/{dataset}/{method}.csv files: baselines and "
                   "claim representatives are chosen on them (validation split)")
    p.add_argument("--models", nargs="*", default=[],
                   help="results/models/{dataset}/{run}/model.json files of the learned runs "
                   "(table notes on how they were trained)")
    p.add_argument("--scaled-metrics", nargs="*", default=[],
                   help="results/metrics/{dataset}.x{scale}/{maskset}/{method}.csv files (the "
                   "config's resolution block): the claims page's resolution claim")
    add_common(p, seed=True)


@command("tables", "summary and by-hole-ratio tables from metrics CSVs", _tables_options)
def tables(args) -> None:
    from inpaint.evaluation.report import make_tables

    make_tables(args.metrics, args.out, data_dirs=args.data, n_boot=args.bootstrap,
                seed=args.seed, lpips_enabled=args.lpips, validation_paths=args.validation,
                model_paths=args.models, scaled_paths=args.scaled_metrics)


def _validate_options(p) -> None:
    p.add_argument("--data", required=True, help="prepared dataset folder")
    p.add_argument("--method", required=True)
    p.add_argument("--model", help="trained model folder (learned methods)")
    p.add_argument("--masksets", type=json_object, required=True,
                   help="JSON: mask-set name -> generator block (the config's masks)")
    p.add_argument("--n", type=int, default=32, help="validation images (default 32)")
    p.add_argument("--out", required=True, help="output CSV")
    p.add_argument("--raw-csv", help="also the {method}_raw variant's CSV, from the same pass")
    p.add_argument("--batch-size", type=int, default=64)
    add_common(p, seed=True, threads=True, params=True, device=True)


@command("validate", "score a method on the validation split (per image, 'val-' seeded masks)",
         _validate_options)
def validate(args) -> None:
    from inpaint.evaluation.validation import write_validation

    method = ready_method(args.method, args.params, args.model, args.device)
    frame = write_validation(method, args.data, args.out, masksets=args.masksets,
                             seed=args.seed, n=args.n, batch_size=args.batch_size,
                             raw_out=args.raw_csv)
    also = f" and {args.method}_raw -> {args.raw_csv}" if args.raw_csv else ""
    print(f"{args.method}: scored {frame.image_id.nunique()} validation images x "
          f"{frame.maskset.nunique()} mask set(s) -> {args.out}{also}")


def _figure_options(p) -> None:
    p.add_argument("--data", required=True)
    p.add_argument("--masks", required=True)
    p.add_argument("--completions", nargs="+", required=True)
    p.add_argument("--labels", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--columns", type=int, default=8)
    p.add_argument("--title")


@command("figure", "figure grid: real / corrupted / one row per method", _figure_options)
def figure(args) -> None:
    from inpaint.evaluation.figures import make_figure

    if len(args.completions) != len(args.labels):
        raise InpaintError("figure: give one --labels entry per --completions folder")
    make_figure(args.data, args.masks, dict(zip(args.labels, args.completions, strict=True)),
                args.out, n_cols=args.columns, title=args.title)


def _fid_features_options(p) -> None:
    p.add_argument("--data", required=True)
    p.add_argument("--weights", required=True, help="converted FID Inception (.pt)")
    p.add_argument("--out", required=True, help="features .npz")
    p.add_argument("--batch-size", type=int, default=16)
    add_common(p, threads=True, device=True)


@command("fid-features",
         "InceptionV3 pool-3 features of a prepared dataset's test images (FID/KID cache)",
         _fid_features_options)
def fid_features(args) -> None:
    from inpaint.evaluation.distribution import dataset_test_features

    features = dataset_test_features(args.data, args.out, args.weights, args.batch_size,
                                     device=args.device)
    print(f"{len(features)} test images -> {args.out}")


def _distribution_options(p) -> None:
    p.add_argument("--data", required=True)
    p.add_argument("--test-features", required=True, help="from fid-features")
    p.add_argument("--completions", nargs="+", required=True, help="one folder per method")
    p.add_argument("--methods", nargs="+", required=True, help="one name per folder")
    p.add_argument("--dataset", required=True)
    p.add_argument("--maskset", required=True)
    p.add_argument("--weights", required=True, help="converted FID Inception (.pt)")
    p.add_argument("--out", required=True, help="per-set CSV")
    p.add_argument("--features-out", help="also cache the completions' features (.npz)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--kid-subsets", type=int, default=100)
    p.add_argument("--kid-subset-size", type=int, default=1000)
    add_common(p, seed=True, threads=True, device=True)


@command("distribution",
         "FID and KID of methods' completions of one mask set against the test images",
         _distribution_options)
def distribution(args) -> None:
    from inpaint.evaluation.distribution import score_completions

    frame = score_completions(args.data, args.test_features, args.completions, args.methods,
                              args.dataset, args.maskset, args.out, args.weights,
                              features_out=args.features_out, batch_size=args.batch_size,
                              n_subsets=args.kid_subsets, subset_size=args.kid_subset_size,
                              seed=args.seed, device=args.device)
    print(frame.to_string(index=False))


def _distribution_tables_options(p) -> None:
    p.add_argument("--inputs", nargs="+", required=True)
    p.add_argument("--out", required=True, help="tables folder")


@command("distribution-tables",
         "results/tables/distribution.{csv,md,html} from the per-set FID/KID CSVs",
         _distribution_tables_options)
def distribution_tables(args) -> None:
    from inpaint.evaluation.distribution_tables import write_distribution_tables

    table = write_distribution_tables(args.inputs, args.out)
    print(f"{len(table)} rows -> {args.out}/distribution.{{csv,md,html}}")


def _generalisation_table_options(p) -> None:
    p.add_argument("--metrics", nargs="+", required=True,
                   help="results/metrics/{dataset}/{maskset}/{run}.csv files of the "
                   "generalisation runs ({method}.on-{maskset}) and the methods' own runs")
    p.add_argument("--models", nargs="+", required=True,
                   help="results/models/{dataset}/{run}/model.json of their models (what "
                   "each was trained on)")
    p.add_argument("--masksets", type=json_object, required=True,
                   help="the config's masks blocks as JSON (the tested mask sets)")
    p.add_argument("--out", required=True, help="tables folder")


@command("generalisation-table",
         "results/tables/generalisation.{csv,md,html}: learned methods trained on one mask "
         "set, tested on each", _generalisation_table_options)
def generalisation_table(args) -> None:
    from inpaint.evaluation.generalisation import write_generalisation_tables

    table = write_generalisation_tables(args.metrics, args.models, args.masksets, args.out)
    print(f"{len(table)} cells -> {args.out}/generalisation.{{csv,md,html}}")


def _resolution_table_options(p) -> None:
    p.add_argument("--metrics", nargs="+", required=True,
                   help="results/metrics/{dataset}/{maskset}/{method}.csv files of the "
                   "configured datasets and of their scaled twins ({dataset}.x{scale})")
    p.add_argument("--data", nargs="+", required=True,
                   help="the configured datasets' folders (their sizes)")
    p.add_argument("--out", required=True, help="tables folder")


@command("resolution-table",
         "results/tables/resolution.{csv,md,html}: methods at a larger size than the learned "
         "ones were trained on", _resolution_table_options)
def resolution_table(args) -> None:
    from inpaint.evaluation.resolution import resolution_table as write_table

    table = write_table(args.metrics, args.data, args.out)
    print(f"{len(table)} rows -> {args.out}/resolution.{{csv,md,html}}")
