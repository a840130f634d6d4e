"""Scores of a completion against its ground truth: hole PSNR, hole SSIM and LPIPS.

The one module of the demo that imports the project's metric functions
(definitions in DESIGN §6): ``psnr_hole`` and ``ssim_hole`` over the hole
pixels, ``lpips`` (AlexNet, v0.1, ImageNet backbone) on the full image.
"""

from __future__ import annotations

import math

import numpy as np

from inpaint.evaluation.perceptual import load_lpips, lpips_status
from inpaint.evaluation.scoring import score_images

COLUMNS = ("psnr_hole", "ssim_hole", "lpips")


class Scorer:
    """Scores one completion at a time; the LPIPS network is loaded once, here."""

    def __init__(self, use_lpips: bool = True, device: str = "cpu") -> None:
        self.lpips_model = None
        if not use_lpips:
            self.lpips_note = "LPIPS off (--no-lpips)"
            return
        available, reason = lpips_status()
        self.lpips_note = reason
        if available:
            self.lpips_model = load_lpips(device)

    def score(self, real: np.ndarray, completion: np.ndarray, known: np.ndarray
              ) -> dict[str, float]:
        """uint8 (H, W, C) real and completion, bool (H, W) known -> the three scores."""
        frame = score_images(real[None], completion[None], known[None], self.lpips_model)
        return {key: float(frame[key].iloc[0]) for key in COLUMNS}


def describe(scores: dict[str, float]) -> str:
    """One caption line: 'PSNR 23.41 dB · SSIM 0.812 · LPIPS 0.071' (absent ones left out)."""
    parts = []
    psnr, ssim, lp = (scores.get(key, math.nan) for key in COLUMNS)
    if not math.isnan(psnr):
        parts.append("PSNR inf" if math.isinf(psnr) else f"PSNR {psnr:.2f} dB")
    if not math.isnan(ssim):
        parts.append(f"SSIM {ssim:.3f}")
    if not math.isnan(lp):
        parts.append(f"LPIPS {lp:.3f}")
    return " · ".join(parts)
