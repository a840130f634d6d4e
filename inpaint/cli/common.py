"""What the subcommands share: the Command record, option helpers, building a method."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from dataclasses import dataclass

from inpaint.errors import InpaintError


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one-line help, options and what it runs."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], None]
    options: Callable[[argparse.ArgumentParser], None]


def command(name: str, help_text: str,
            options: Callable[[argparse.ArgumentParser], None] = lambda p: None) -> Callable:
    """``@command("name", "help", options)`` on a ``run(args)`` function makes a Command."""

    def decorator(run: Callable[[argparse.Namespace], None]) -> Command:
        return Command(name, help_text, run, options)

    return decorator


def json_object(text: str) -> dict:
    """argparse type: a JSON object (``null`` is ``{}``)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def set_threads(threads: int) -> None:
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)


def add_common(p: argparse.ArgumentParser, *, seed: bool = False, threads: bool = False,
               params: bool = False, device: bool = False) -> None:
    """The options several subcommands share, each with the same meaning everywhere."""
    if seed:
        p.add_argument("--seed", type=int, default=0)
    if threads:
        p.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    if params:
        p.add_argument("--params", type=json_object, default={},
                       help="JSON object of parameters (the config block)")
    if device:
        p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")


def build_method(name: str, params: dict):
    """The method with these hyper-parameters; config paths and values checked."""
    from inpaint.config import check_method_paths
    from inpaint.methods import get_method

    check_method_paths(name, params)
    try:
        return get_method(name, **params)
    except (TypeError, ValueError) as exc:
        raise InpaintError(f"method {name!r}: bad hyper-parameter: {exc}") from None


def ready_method(name: str, params: dict, model: str | None, device: str):
    """``build_method``, and a learned method's trained ``model`` loaded onto ``device``."""
    method = build_method(name, params)
    if method.learned:
        if not model:
            raise InpaintError(f"method {name!r} is learned: pass --model with its trained model")
        method.load(model, device=device)
    return method
