"""`inpaint demo`: the web page (inpaint.demo; gradio, the ``[demo]`` extra, imported only here)."""

from __future__ import annotations

import argparse

from inpaint.cli.common import add_common, command


def _demo_options(p) -> None:
    p.add_argument("--models", default="results/models", help="trained model folders")
    p.add_argument("--data", default="results/data", help="prepared datasets (test images)")
    p.add_argument("--config", default="config.yaml", help="mask kinds and method settings")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--max-side", type=int, default=512, help="largest photo side in pixels")
    p.add_argument("--lpips", action=argparse.BooleanOptionalAction, default=True)
    add_common(p, device=True)


@command("demo", "web page (Gradio, needs the [demo] extra): complete your photo with every "
         "method side by side", _demo_options)
def demo(args) -> None:
    from inpaint.demo import serve

    serve(config=args.config, models=args.models, data=args.data, host=args.host,
          port=args.port, device=args.device, lpips=args.lpips, max_side=args.max_side)
