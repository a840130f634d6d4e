"""Subcommands that train, run and list the inpainting methods."""

from __future__ import annotations

from inpaint.cli.common import add_common, build_method, command, ready_method
from inpaint.errors import InpaintError


def _train_options(p) -> None:
    p.add_argument("--data", required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--out", required=True, help="model folder")
    add_common(p, seed=True, threads=True, params=True, device=True)


@command("train", "train a learned method on a prepared dataset", _train_options)
def train(args) -> None:
    method = build_method(args.method, args.params)
    if not method.learned:
        raise InpaintError(f"method {args.method!r} is classical: it has no training stage")
    method.fit(args.data, args.out, seed=args.seed, device=args.device, threads=args.threads)


def _complete_set_options(p) -> None:
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
    add_common(p, threads=True, params=True, device=True)


@command("complete-set",
         "complete every test image under one or several mask sets (model loaded once)",
         _complete_set_options)
def complete_set(args) -> None:
    from inpaint.completion import complete_sets

    method = ready_method(args.method, args.params, args.model, args.device)
    n = complete_sets(method, args.data, args.masks, args.out, batch_size=args.batch_size,
                      raw_outs=args.raw_out)
    for i, out in enumerate(args.out):
        also = f" and {args.method}_raw -> {args.raw_out[i]}" if args.raw_out else ""
        print(f"{args.method}: completed {n} images -> {out}{also}")


def _complete_options(p) -> None:
    p.add_argument("--method", required=True)
    p.add_argument("--image", required=True)
    p.add_argument("--mask", required=True)
    p.add_argument("--out", required=True, help="output .png")
    p.add_argument("--model", help="trained model folder (learned methods)")
    add_common(p, threads=True, params=True, device=True)


@command("complete", "complete your own image with its mask (255 known, 0 hole)",
         _complete_options)
def complete(args) -> None:
    from inpaint.completion import complete_file

    method = ready_method(args.method, args.params, args.model, args.device)
    complete_file(method, args.image, args.mask, args.out)
    print(f"wrote {args.out}")


def _generate_options(p) -> None:
    p.add_argument("--method", required=True)
    p.add_argument("--model", required=True, help="trained model folder")
    p.add_argument("--out", required=True, help="output .png")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--nrow", type=int, default=8, help="samples per row (default 8)")
    add_common(p, seed=True, threads=True, params=True, device=True)


@command("generate", "sample grid from a trained generator (yeh_dcgan)", _generate_options)
def generate(args) -> None:
    method = ready_method(args.method, args.params, args.model, args.device)
    if not hasattr(method, "generate_grid"):
        raise InpaintError(f"method {args.method!r} has no generator to sample from")
    method.generate_grid(args.out, n=args.n, seed=args.seed, nrow=args.nrow)
    print(f"wrote {args.out}")


@command("methods", "list the built-in methods")
def methods(args) -> None:
    from inpaint.methods import get_method_class, list_methods

    for name in list_methods():
        cls = get_method_class(name)
        kind = "learned" if cls.learned else "classical"
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        print(f"{name:16s} {kind:9s} {doc}")
