"""The demo page (Gradio): one photo, one hole, every method side by side.

Built by :func:`build_app` from things loaded once per process (methods, trained
models, the LPIPS network, test images); the handlers only read them. Every
message for the user goes to the page (``#message``); files are written only
under the demo's temporary folder, and the browser names images by picker
label or uploads bytes: no browser value is used as a path.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np

from inpaint.demo.export import write_download
from inpaint.demo.inputs import MAX_BYTES, MAX_SIDE, MIN_SIDE, DatasetImages, Photo, decode_upload
from inpaint.demo.masking import check_hole, generated_known, painted_known
from inpaint.demo.models import Catalog
from inpaint.demo.pipeline import Outcome, Tile, run_all
from inpaint.demo.scoring import Scorer, describe
from inpaint.errors import InpaintError
from inpaint.methods import InpaintMethod

PAINTED = "painted"
CSS = "#grid .caption-label, #model-inputs .caption-label {white-space: normal; max-width: 95%;}"
GRID_COLUMNS = 5
TILE_PX = 250  # height of a grid row on the page
SCORE_HEADERS = ["method", "seconds", "PSNR hole (dB)", "SSIM hole", "LPIPS"]


@dataclass
class Setup:
    """What the page works with, loaded once per process."""

    classical: dict[str, InpaintMethod]
    catalog: Catalog
    scorer: Scorer
    tests: DatasetImages
    mask_kinds: dict[str, dict]
    seed: int
    work_dir: Path  # the temporary folder: downloads go under work_dir/runs
    max_side: int = MAX_SIDE
    max_bytes: int = MAX_BYTES


def _display(image: np.ndarray) -> np.ndarray:
    return image[..., 0] if image.shape[2] == 1 else image


def _error(exc: Exception) -> str:
    return f"**Error:** {exc}"


def _intro(setup: Setup) -> str:
    models = [f"{m.label} ({m.size[1]}x{m.size[0]}, {m.channels} channel(s): "
              f"{', '.join(m.methods)})" for m in setup.catalog.models]
    lines = [
        "# inpaint demo",
        "Upload a photo or pick a test image, paint the hole with the brush (or choose a mask "
        "kind and a seed) and press **Complete**. Every classical method runs on the image "
        "itself; every trained model sees the image **resized** to the size it was trained at "
        "(shown below the results), and its completion is resized back and put under your "
        "known pixels.",
        f"Limits: photos of {MIN_SIDE} to {setup.max_side} pixels per side, files up to "
        f"{setup.max_bytes / 2**20:.0f} MiB. Scores (hole PSNR, hole SSIM, LPIPS on the whole "
        f"image) compare with the image before the hole. {setup.scorer.lpips_note}.",
        f"Classical methods: {', '.join(setup.classical)}. Trained models: "
        f"{'; '.join(models) if models else 'none'}.",
    ]
    if setup.catalog.failures or setup.tests.notes:
        lines.append("**Not loaded:** " + "; ".join(setup.catalog.failures + setup.tests.notes))
    return "\n\n".join(lines)


def _editor_value(photo: Photo) -> dict:
    image = photo.image if photo.image.shape[2] == 3 else photo.image.repeat(3, axis=2)
    return {"background": image, "layers": [], "composite": image}


def _known(setup: Setup, photo: Photo, editor: dict | None, hole: str, seed) -> np.ndarray:
    shape = photo.image.shape[:2]
    if hole == PAINTED:
        known = painted_known((editor or {}).get("layers") or [], shape)
    elif hole in setup.mask_kinds:
        if seed is None or int(seed) != seed or seed < 0:
            raise InpaintError(f"the seed must be a whole number >= 0, got {seed!r}")
        known = generated_known(hole, setup.mask_kinds[hole], int(seed), photo.dataset,
                                photo.image_id, shape)
    else:
        raise InpaintError(f"unknown hole choice {hole!r}")
    check_hole(known)
    return known


def _gallery(tiles: list[Tile]) -> list[tuple[np.ndarray, str]]:
    out = []
    for tile in tiles:
        caption = tile.label
        if tile.seconds is not None:
            caption += f" · {tile.seconds:.2f} s"
        if tile.scores:
            caption += f" · {describe(tile.scores)}"
        out.append((_display(tile.image), caption))
    return out


def _scores_table(outcome: Outcome) -> list[list]:
    rows = []
    for tile in outcome.tiles:
        if tile.seconds is None:
            continue
        s = tile.scores
        rows.append([tile.label, round(tile.seconds, 3)]
                    + [None if key not in s or np.isnan(s[key]) else round(s[key], 4)
                       for key in ("psnr_hole", "ssim_hole", "lpips")])
    return rows


def build_app(setup: Setup) -> gr.Blocks:
    # the most tiles one image can get: models of one channel count at a time
    n_tiles = 2 + len(setup.classical) + max(
        [sum(len(m.methods) for m in setup.catalog.models if m.channels == c) for c in (1, 3)])
    rows = -(-n_tiles // GRID_COLUMNS)
    hole_choices = [("painted with the brush", PAINTED)] + [
        (f"{name} ({params['kind']})", name) for name, params in setup.mask_kinds.items()]

    def load_upload(path):
        if not path:
            return None, None, ""
        try:
            upload = Path(path).resolve()
            upload.relative_to(setup.work_dir.resolve())  # Gradio's own upload copy, nothing else
            size = upload.stat().st_size
            if size > setup.max_bytes:
                raise InpaintError(f"{upload.name} is {size / 2**20:.1f} MiB; the limit is "
                                   f"{setup.max_bytes / 2**20:.0f} MiB")
            photo = decode_upload(upload.read_bytes(), upload.name, setup.max_side,
                                  setup.max_bytes)
        except (InpaintError, ValueError, OSError) as exc:
            return None, None, _error(exc)
        return photo, _editor_value(photo), f"Loaded {photo.source}. Paint the hole."

    def load_test(label):
        if not label:
            return None, None, ""
        try:
            photo = setup.tests.get(label)
        except InpaintError as exc:
            return None, None, _error(exc)
        return photo, _editor_value(photo), f"Loaded {photo.source}. Paint the hole."

    def complete(photo, editor, hole, seed, progress=gr.Progress()):  # noqa: B008 (Gradio API)
        empty = ([], [], [], gr.update(value=None, visible=False))
        if photo is None:
            return *empty, _error("upload a photo or pick a test image first")
        try:
            known = _known(setup, photo, editor, hole, seed)
        except InpaintError as exc:
            return *empty, _error(exc)

        def step(done, total, label):
            progress((done, total), desc=f"{label}" if done == total else
                     f"{label} ({done + 1}/{total})")

        outcome = run_all(photo.image, known, setup.classical, setup.catalog.models,
                          setup.scorer.score, step)
        download = write_download(setup.work_dir / "runs" / uuid.uuid4().hex,
                                  outcome.tiles, known)
        n_hole = int((~known).sum())
        lines = [f"Completed {photo.source} with {len(outcome.tiles) - 2} method(s); hole: "
                 f"{n_hole} pixels ({n_hole / known.size:.1%})."]
        lines += [f"- {note}" for note in outcome.notes]
        return (_gallery(outcome.tiles), _gallery(outcome.model_inputs), _scores_table(outcome),
                gr.update(value=str(download), visible=True), "\n".join(lines))

    with gr.Blocks(title="inpaint demo") as app:
        gr.Markdown(_intro(setup), elem_id="intro")
        photo = gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                with gr.Row():
                    upload = gr.File(label="Your photo", type="filepath", elem_id="upload")
                    picker = gr.Dropdown(setup.tests.labels(), value=None, label="or a test image",
                                         elem_id="test-image")
                editor = gr.ImageEditor(
                    label="Paint the hole", type="numpy", image_mode="RGBA", format="png",
                    sources=[], transforms=[], layers=False, elem_id="canvas", height=420,
                    brush=gr.Brush(colors=["#ff00ff"], color_mode="fixed", default_size=12))
            with gr.Column(scale=2):
                hole = gr.Radio(hole_choices, value=PAINTED, label="Hole", elem_id="hole")
                seed = gr.Number(setup.seed, precision=0, label="Seed (mask kinds)",
                                 elem_id="seed")
                run = gr.Button("Complete with every method", variant="primary",
                                elem_id="run")
                message = gr.Markdown(elem_id="message")
        grid = gr.Gallery(label="real / corrupted / one tile per method", format="png",
                          columns=GRID_COLUMNS, object_fit="contain", preview=False,
                          height=rows * TILE_PX + 60, elem_id="grid")
        scores = gr.Dataframe(headers=SCORE_HEADERS, label="Scores against the image before "
                              "the hole", interactive=False, max_height=40 * n_tiles + 80,
                              elem_id="scores")
        seen = gr.Gallery(label="What each trained model saw (resized input)", format="png",
                          columns=6, object_fit="contain", preview=False, height=TILE_PX,
                          elem_id="model-inputs")
        download = gr.DownloadButton("Download completions and mask (PNG, zip)", visible=False,
                                     elem_id="download")

        upload.upload(load_upload, upload, [photo, editor, message])
        picker.input(load_test, picker, [photo, editor, message])
        run.click(complete, [photo, editor, hole, seed], [grid, seen, scores, download, message])
    return app
