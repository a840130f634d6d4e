"""glcic's post-processing, as the authors' code: fast-marching fill of a band along the hole's
border, Poisson blending of the network output over the rest (see the package docstring)."""

from __future__ import annotations

import os

import numpy as np

from inpaint.methods.base import composite, to_uint8

TELEA_RADIUS = 1  # the authors' post-processing calls cv.inpaint with inpaintRadius=1
AUTHORS_BAND = 3.0  # seamlessClone's mask erosion (3x3 kernel, 3 iterations), in px ...
AUTHORS_SIZE = 256  # ... at the authors' training size


def band_width(shape: tuple[int, ...], classical_band: float = AUTHORS_BAND) -> float:
    """The band in pixels for images of ``shape`` (..., H, W): ``classical_band`` px at
    256 px scaled by min(H, W) / 256."""
    return float(classical_band) * min(shape[-2], shape[-1]) / AUTHORS_SIZE


def classical_pixels(known: np.ndarray, classical_band: float = AUTHORS_BAND) -> np.ndarray:
    """Bool (N, H, W): the hole pixels that keep the classical (Telea) fill.

    A hole pixel keeps it iff its chessboard distance to the nearest known pixel is at
    most :func:`band_width`, i.e. it is not in the hole eroded by a (2k+1)-square,
    k = floor(width), as seamlessClone's erosion (k = 3 at 256 px). Images without a
    known pixel keep nothing (postprocess leaves them to the network).
    """
    import cv2

    known = np.asarray(known, dtype=bool)
    width = band_width(known.shape, classical_band)
    out = np.zeros(known.shape, dtype=bool)
    if width < 1:
        return out
    for i, keep in enumerate(known):
        if keep.all() or not keep.any():
            continue
        dist = cv2.distanceTransform((~keep).astype(np.uint8), cv2.DIST_C, 3)
        out[i] = ~keep & (dist <= width)
    return out


def classical_fraction(known: np.ndarray, classical_band: float = AUTHORS_BAND) -> np.ndarray:
    """Float (N,): per image, the fraction of its hole pixels that keep the classical fill
    (the rest come from the network output); NaN for an image without a hole."""
    known = np.asarray(known, dtype=bool)
    holes = (~known).reshape(len(known), -1).sum(1)
    kept = classical_pixels(known, classical_band).reshape(len(known), -1).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(holes > 0, kept / np.maximum(holes, 1), np.nan)


def postprocess_record(size: int, classical_band: float = AUTHORS_BAND) -> dict:
    """What glcic's post-processing does at ``size`` px, for model.json and the tables."""
    return {"classical": f"cv2.inpaint TELEA radius {TELEA_RADIUS}",
            "classical_band_at_256": float(classical_band),
            "band_px": band_width((size, size), classical_band),
            "blend": "Poisson (exact), network output as the source over the hole"}


def record_postprocess(model_dir: str | os.PathLike, size: int,
                       classical_band: float = AUTHORS_BAND) -> None:
    """Add :func:`postprocess_record` to a finished model.json (key ``postprocess``).

    Outside ``hparams`` and so outside the config hash: the band is applied at
    completion time, changing it needs no retraining (the workflow reruns the train
    job on a changed config block, which resumes at its last step and rewrites this).
    """
    import json
    from pathlib import Path

    from inpaint.io import read_json, write_text

    path = Path(model_dir) / "model.json"
    info = read_json(path, "model record")
    info["postprocess"] = postprocess_record(size, classical_band)
    write_text(path, json.dumps(info, indent=2, sort_keys=True, default=str) + "\n")


def postprocess(images: np.ndarray, known: np.ndarray, raw: np.ndarray,
                classical_band: float = AUTHORS_BAND) -> np.ndarray:
    """The authors' post-processing of the network output ``raw`` (N, H, W, C) in [0, 1].

    Hole pixels of :func:`classical_pixels` (within the scaled band of a known pixel)
    take the fast-marching fill (cv2.INPAINT_TELEA, radius 1, on the 8-bit image as the
    authors' code); the rest of the hole is Poisson-blended (inpaint.poisson) from the
    network output's gradients, anchored to the known pixels and the band. With no band
    pixel (``classical_band`` 0, or 3 at 32 px) it is plain Poisson blending of the
    network output into the known pixels. Returns float32 (N, H, W, C), known pixels exact.
    """
    import cv2

    from inpaint.poisson import poisson_blend

    out = composite(images, known, raw)  # known pixels are the image's
    corrupted = to_uint8(out)
    band = classical_pixels(known, classical_band)
    for i, keep in enumerate(known):
        if keep.all() or not keep.any():
            continue
        filled = images[i].astype(np.float64)
        if band[i].any():
            src = corrupted[i][..., 0] if corrupted.shape[3] == 1 else corrupted[i]
            telea = cv2.inpaint(src, (~keep).astype(np.uint8) * 255, TELEA_RADIUS,
                                cv2.INPAINT_TELEA)
            filled = np.where(band[i][..., None],
                              telea.reshape(images[i].shape).astype(np.float64) / 255.0, filled)
        out[i] = np.clip(poisson_blend(filled, raw[i], keep | band[i]), 0.0, 1.0)
    return out
