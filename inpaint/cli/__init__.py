"""The `inpaint` command line: one subcommand per workflow stage.

Every Snakemake rule calls one of these. Heavy libraries are imported inside
the subcommands so `inpaint --help` stays fast. User errors print one line
``error: ...`` naming the culprit and exit with status 2.

A subcommand is a ``run(args)`` function decorated with
``@command(name, help, options)`` (:mod:`inpaint.cli.common`) in the module of
its group; adding one is that function and its entry in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import sys

from inpaint.cli import data, demo, evaluation, methods, pretrained
from inpaint.cli.common import Command, set_threads
from inpaint.errors import InpaintError

# In the order `inpaint --help` lists them.
COMMANDS: tuple[Command, ...] = (
    data.fetch_faces,
    pretrained.fetch_weights,
    data.prepare_data,
    data.make_masks,
    methods.train,
    methods.complete_set,
    methods.complete,
    methods.generate,
    evaluation.evaluate,
    evaluation.tables,
    evaluation.validate,
    evaluation.figure,
    pretrained.fetch_fid_inception,
    evaluation.fid_features,
    evaluation.distribution,
    evaluation.distribution_tables,
    evaluation.generalisation_table,
    evaluation.resolution_table,
    methods.methods,
    data.benchmark_manifest,
    data.verify_benchmark,
    demo.demo,
    data.check_config,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inpaint", description="Image-inpainting research workflow: one subcommand per stage."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        p.set_defaults(func=cmd.run)
        cmd.options(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "threads", None):
        set_threads(args.threads)
    try:
        args.func(args)
    except InpaintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
