"""Load what the page needs once, then serve it (``inpaint demo``)."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from inpaint.demo.inputs import MAX_BYTES, MAX_SIDE
from inpaint.errors import InpaintError


def classical_methods(config_methods: dict[str, dict]):
    """Every classical method, with the config's hyper-parameters where it has a block."""
    from inpaint.methods import get_method, get_method_class, list_methods

    methods = {}
    for name in list_methods():
        if get_method_class(name).learned:
            continue
        params = dict(config_methods.get(name) or {})
        try:
            methods[name] = get_method(name, **params)
        except (TypeError, ValueError) as exc:
            raise InpaintError(f"methods.{name}: bad hyper-parameter: {exc}") from None
    return methods


def load_setup(work_dir: Path, config: str | os.PathLike, models: str | os.PathLike | None,
               data: str | os.PathLike | None, device: str = "cpu", lpips: bool = True,
               max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES):
    from inpaint.config import load_config
    from inpaint.demo.app import Setup
    from inpaint.demo.inputs import DatasetImages
    from inpaint.demo.masking import mask_kinds
    from inpaint.demo.models import load_catalog
    from inpaint.demo.scoring import Scorer

    cfg = load_config(config)
    return Setup(
        classical=classical_methods(cfg.get("methods") or {}),
        catalog=load_catalog(models, device),
        scorer=Scorer(lpips, device="cpu" if device == "auto" else device),
        tests=DatasetImages(data),
        mask_kinds=mask_kinds(cfg.get("masks") or {}),
        seed=int(cfg.get("seed", 0)),
        work_dir=work_dir,
        max_side=max_side,
        max_bytes=max_bytes,
    )


def serve(*, config: str | os.PathLike = "config.yaml",
          models: str | os.PathLike | None = "results/models",
          data: str | os.PathLike | None = "results/data", host: str = "127.0.0.1",
          port: int = 7860, device: str = "cpu", lpips: bool = True,
          max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES) -> None:
    """Serve the page until interrupted. Everything the page writes (Gradio's uploads and
    cache, the downloads) goes under one temporary folder, removed on exit."""
    if max_side < 32:
        raise InpaintError(f"--max-side must be at least 32, got {max_side}")
    work_dir = Path(tempfile.mkdtemp(prefix="inpaint-demo-"))
    # Ctrl-C and a plain `kill` end the server and remove the temporary folder; SIGINT is
    # set explicitly because a process started in the background of a shell inherits it
    # ignored (Python then never raises KeyboardInterrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    os.environ["GRADIO_TEMP_DIR"] = str(work_dir)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ["MPLCONFIGDIR"] = str(work_dir / "matplotlib")  # its font cache, not ~/.cache
    app = None
    try:
        try:
            import gradio  # noqa: F401
        except ImportError:
            raise InpaintError("the demo needs Gradio: pip install -e '.[demo]'") from None
        from inpaint.demo.app import CSS, build_app

        setup = load_setup(work_dir, config, models, data, device, lpips, max_side, max_bytes)
        app = build_app(setup)
        app.queue(default_concurrency_limit=1)
        print(f"inpaint demo: {len(setup.classical)} classical method(s), "
              f"{len(setup.catalog.models)} trained model(s), "
              f"{len(setup.catalog.failures)} not loaded; temporary folder {work_dir}",
              flush=True)
        app.launch(server_name=host, server_port=port, max_file_size=2 * max_bytes,
                   ssr_mode=False, footer_links=[], css=CSS)
    finally:
        if app is not None:
            app.close()  # stop the server's threads before their folder goes
        for _ in range(5):  # a late write of a closing thread: try again
            shutil.rmtree(work_dir, ignore_errors=True)
            if not work_dir.exists():
                break
            time.sleep(0.2)
