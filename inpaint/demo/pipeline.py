"""Complete one image with every classical method and every trained model that fits.

Torch- and Gradio-free here: methods come in built, models loaded (models.py).
Every tile has the image's size and keeps its known pixels byte for byte. A
trained model sees the image resized to its own size (Lanczos; the mask shrunk
so that any pixel touching the hole is hole); its completion is resized back
(Lanczos) and composited with the known pixels of the full-size image.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from inpaint.demo.masking import to_png
from inpaint.demo.models import TrainedModel
from inpaint.methods import InpaintMethod, complete_batch, complete_batch_with_raw

HOLE_FILL = 128  # the corrupted image shows the hole mid-grey, as the figure grids do


@dataclass
class Tile:
    label: str
    image: np.ndarray  # uint8 (H, W, C)
    seconds: float | None = None
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class Outcome:
    tiles: list[Tile]  # real (with ground truth), corrupted, then one per method
    model_inputs: list[Tile]  # what each trained model saw, at its own size
    notes: list[str]  # methods skipped or failed, and why


def corrupt(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    return np.where(known[..., None], image, np.uint8(HOLE_FILL)).astype(np.uint8)


def _pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(image[..., 0] if image.shape[2] == 1 else image)


def resize_image(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if image.shape[:2] == tuple(shape):
        return image
    out = np.asarray(_pil(image).resize((shape[1], shape[0]), Image.Resampling.LANCZOS))
    return out.reshape(*shape, image.shape[2])


def shrink_known(known: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Known at ``shape`` only where every covered source pixel is known (box filter)."""
    if known.shape == tuple(shape):
        return known
    img = Image.fromarray(to_png(known)).resize((shape[1], shape[0]), Image.Resampling.BOX)
    return np.asarray(img) == 255


def complete_classical(method: InpaintMethod, image: np.ndarray, known: np.ndarray) -> np.ndarray:
    return complete_batch(method, image[None], known[None])[0]


def complete_with_model(model: TrainedModel, image: np.ndarray, known: np.ndarray
                        ) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, float]]:
    """({method: full-size completion}, the corrupted input at the model's size,
    {method: seconds}); a method that completes its raw variant in the same pass
    (yeh_dcgan) does both at once, and both get that pass's time."""
    small = resize_image(image, model.size)
    small_known = shrink_known(known, model.size)
    outs: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    for name, method in model.methods.items():
        if name in outs:
            continue
        start = time.perf_counter()
        raw_name = f"{name}_raw"
        if method.completes_raw_variant and raw_name in model.methods:
            main, raw = complete_batch_with_raw(method, small[None], small_known[None])
            outs[name], outs[raw_name] = main[0], raw[0]
            seconds[name] = seconds[raw_name] = time.perf_counter() - start
        else:
            outs[name] = complete_batch(method, small[None], small_known[None])[0]
            seconds[name] = time.perf_counter() - start
    full = {name: np.where(known[..., None], image, resize_image(out, image.shape[:2]))
            for name, out in outs.items()}
    return full, corrupt(small, small_known), seconds


def model_fits(model: TrainedModel, image: np.ndarray) -> str | None:
    """Why ``model`` cannot complete ``image`` (None when it can)."""
    if model.channels != image.shape[2]:
        kind = {1: "grey", 3: "RGB"}
        return (f"{model.label} skipped: trained on {kind.get(model.channels, model.channels)} "
                f"images, this one is {kind.get(image.shape[2], image.shape[2])}")
    return None


def work_items(classical: dict[str, InpaintMethod], models: list[TrainedModel],
               image: np.ndarray) -> tuple[list[tuple[str, object]], list[str]]:
    """The steps to run (label, method or model) and the notes on models skipped."""
    items: list[tuple[str, object]] = list(classical.items())
    notes = []
    for model in models:
        why = model_fits(model, image)
        if why:
            notes.append(why)
        else:
            items.append((model.label, model))
    return items, notes


def run_all(image: np.ndarray, known: np.ndarray, classical: dict[str, InpaintMethod],
            models: list[TrainedModel], score: Callable | None = None,
            progress: Callable[[int, int, str], None] | None = None) -> Outcome:
    """Every method on (image, known). ``score(real, completion, known)`` -> scores dict,
    when the image is its own ground truth; ``progress(done, total, label)`` per step."""
    items, notes = work_items(classical, models, image)
    tiles = [Tile("real", image), Tile("corrupted", corrupt(image, known))]
    model_inputs = []
    for i, (label, what) in enumerate(items):
        if progress:
            progress(i, len(items), label)
        try:
            if isinstance(what, TrainedModel):
                outs, seen, seconds = complete_with_model(what, image, known)
                h, w = what.size
                model_inputs.append(Tile(
                    f"{label}: {w}x{h} input (resized from {image.shape[1]}x{image.shape[0]})"
                    if (h, w) != image.shape[:2] else f"{label}: {w}x{h} input (its own size)",
                    seen))
                done = [(f"{label.rsplit('/', 1)[0]}/{name}" if "/" in label else name,
                         out, seconds[name]) for name, out in outs.items()]
            else:
                start = time.perf_counter()
                out = complete_classical(what, image, known)
                done = [(label, out, time.perf_counter() - start)]
        except Exception as exc:  # one method failing leaves the others' tiles
            notes.append(f"{label} failed: {str(exc).splitlines()[0] if str(exc) else exc!r}")
            continue
        for name, out, seconds in done:
            tiles.append(Tile(name, out, seconds, score(image, out, known) if score else {}))
    if progress:
        progress(len(items), len(items), "done")
    return Outcome(tiles, model_inputs, notes)
