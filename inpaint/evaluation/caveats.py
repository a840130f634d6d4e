"""Caveats printed with the results: where a row's setting departs from its paper's.

:func:`caveat_notes` gives the notes the tables and the claims page carry under
them (inpaint.evaluation.report.make_tables), each only when the rows it speaks of are
there:

* glcic at small sizes: with ``downsamples`` stride-2 stages the dilated layers
  act on a (side / 2**downsamples)-px map; a 3x3 convolution of rate d >= that
  side reaches only zero padding off its centre, so it is a 1x1 convolution (at
  32 px: rates 8 and 16 on an 8x8 map). The paper's rates 2-16 act on 64x64 at 256 px.
* glcic's post-processing as recorded in its model.json (``postprocess``):
  which hole pixels keep the classical fill and which come from the network.
* faces (``kind: faces``) with yeh_dcgan: the images are samples of a DCGAN, the
  model family yeh_dcgan completes with, which favours it on that dataset.

Model records are read from the ``results/models/{dataset}/{run}/model.json`` files
given (the tables rule declares them); otherwise the method's defaults at the
dataset's size are stated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from inpaint.runs import split_run

GLCIC_RUNS = ("glcic", "glcic_raw")
YEH_RUNS = ("yeh_dcgan", "yeh_dcgan_raw")


def _glcic_record(records: Mapping[tuple[str, str], Path], dataset: str,
                  runs: Iterable[str]) -> dict | None:
    """The hparams (and image size) of the first glcic model.json of ``dataset`` found."""
    for run in runs:
        method, seed = split_run(run)
        if method not in GLCIC_RUNS:
            continue
        owner = "glcic" if seed is None else f"glcic{run[len(method):]}"
        path = records.get((dataset, owner))
        if path is None:
            continue
        try:
            info = json.loads(path.read_text())
            return {**info["hparams"], "postprocess": info.get("postprocess"),
                    "image_size": int(info["image_size"][0])}
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            continue
    return None


def glcic_dead_dilations(size: int, downsamples: int, dilations: Iterable[int]) -> list[int]:
    """The dilation rates that reach only zero padding off-centre on the bottleneck map."""
    side = size // 2 ** int(downsamples)
    return [int(d) for d in dilations if int(d) >= side]


def _glcic_notes(size: int, record: Mapping) -> tuple[str | None, str | None]:
    side = size // 2 ** int(record["downsamples"])
    dead = glcic_dead_dilations(size, record["downsamples"], record["dilations"])
    dilation = None
    if dead:
        rates = " and ".join(str(d) for d in dead)
        plural = len(dead) > 1
        dilation = (f"glcic at {size} px: the dilated convolutions act on the {side}x{side} "
                    f"feature map, where rate{'s' if plural else ''} {rates} "
                    f"reach{'' if plural else 'es'} only zero padding off the centre tap: "
                    f"{'those layers act' if plural else 'that layer acts'} as 1x1 convolutions "
                    "(no spatial mixing). The paper's rates (2, 4, 8, 16) act on a 64x64 map "
                    "at 256 px.")
    pp = record.get("postprocess")
    post = None
    if isinstance(pp, Mapping) and "band_px" in pp:
        band = float(pp["band_px"])
        kept = ("no hole pixel keeps it" if band < 1 else
                f"hole pixels within {int(band)} px (chessboard) of a known pixel keep it")
        post = (f"glcic at {size} px: post-processed as the authors' code ({pp.get('classical')}"
                f" fill, then Poisson blending of the network output over the hole); the "
                f"classical fill's band is {float(pp['classical_band_at_256']):g} px at 256 px "
                f"scaled to {band:.3g} px, so {kept}. glcic_raw: the network output only.")
    return dilation, post


def caveat_notes(runs: Iterable[tuple[str, str]], datasets: Mapping[str, object] | None = None,
                 records: Mapping[tuple[str, str], Path] | None = None) -> list[str]:
    """Notes for the (dataset, run) pairs shown.

    ``datasets``: dataset name -> DatasetInfo (kind, size, label); ``records``:
    (dataset, run) -> results/models/{dataset}/{run}/model.json
    (``loss_notes.model_records``). Returns the notes in a stable order.
    """
    from inpaint.methods.glcic import AUTHORS_BAND, postprocess_record
    from inpaint.methods.registry import get_method_class

    datasets = dict(datasets or {})
    records = dict(records or {})
    by_dataset: dict[str, list[str]] = {}
    for dataset, run in runs:
        by_dataset.setdefault(dataset, []).append(run)
    glcic: dict[str, list[str]] = {}  # note -> the datasets it applies to
    faces: list[str] = []
    for dataset, names in sorted(by_dataset.items()):
        methods = {split_run(n)[0] for n in names}
        info = datasets.get(dataset)
        if methods & set(GLCIC_RUNS):
            record = _glcic_record(records, dataset, names)
            if record is None and info is not None:
                defaults = get_method_class("glcic")().params
                record = {**defaults, "image_size": int(info.size),
                          "postprocess": postprocess_record(int(info.size), AUTHORS_BAND)}
            if record is not None:
                for note in _glcic_notes(int(record["image_size"]), record):
                    if note:
                        glcic.setdefault(note, []).append(dataset)
        if info is not None and getattr(info, "kind", None) == "faces" and methods & set(YEH_RUNS):
            label = getattr(info, "label", dataset)
            faces.append(
                f"{label} ({dataset}): the images are samples of a DCGAN (the PyTorch-tutorial "
                "generator of gan-face-generate 1.1.1), the model family yeh_dcgan trains and "
                "searches; the test images lie near the range of such a generator by "
                "construction, which favours yeh_dcgan on this dataset (not expected on real "
                "photographs).")
    shown = [d for d, names in by_dataset.items()
             if {split_run(n)[0] for n in names} & set(GLCIC_RUNS)]
    out = [note if len(where) == len(shown) else f"{', '.join(where)}: {note}"
           for note, where in glcic.items()]
    return out + faces


def notes_markdown(notes: Iterable[str]) -> str:
    """A 'Caveats' section (empty string without notes) to append to a markdown page."""
    notes = list(notes)
    if not notes:
        return ""
    return "\n## Caveats\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"
