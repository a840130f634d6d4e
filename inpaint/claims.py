"""Check the papers' qualitative claims on a run's own numbers -> claims.md.

Each claim is PASS or FAIL with the numbers behind it, or NOT RUN when the run
lacks the methods or mask sets it needs. Claims are checked per dataset on the
test split's per-image metrics (and, for the blending claim, on the saved
completions).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.stats import CLASSICAL, wilcoxon_p

Frames = Mapping[tuple[str, str, str], pd.DataFrame]
LARGE_HOLE = 0.3  # "large holes": hole ratio above this


@dataclass
class Claim:
    title: str
    source: str
    results: list[tuple[str, str, str]] = field(default_factory=list)  # (dataset, verdict, text)

    @property
    def verdict(self) -> str:
        verdicts = {v for _, v, _ in self.results}
        if not verdicts or verdicts == {"NOT RUN"}:
            return "NOT RUN"
        return "FAIL" if "FAIL" in verdicts else "PASS"


def _mean(frame: pd.DataFrame, metric: str) -> float:
    values = frame[metric].to_numpy(float) if metric in frame else np.array([])
    values = np.minimum(values[np.isfinite(values) | (values == np.inf)], 100.0)
    return float(values.mean()) if len(values) else float("nan")


def _perceptual(frames: Frames) -> str | None:
    for metric in ("lpips", "st_lpips"):
        if any(metric in f and f[metric].notna().any() for f in frames.values()):
            return metric
    return None


def _datasets(frames: Frames) -> list[str]:
    return list(dict.fromkeys(d for d, _, _ in frames))


def adversarial_claim(frames: Frames, maskset: str = "center") -> Claim:
    claim = Claim("The adversarial term lowers PSNR against reconstruction-only training but "
                  "improves the perceptual metric (context_encoder vs context_encoder_l2, "
                  f"mask set {maskset}).", "Pathak et al. 2016")
    metric = _perceptual(frames)
    for dataset in _datasets(frames):
        adv, rec = frames.get((dataset, maskset, "context_encoder")), frames.get(
            (dataset, maskset, "context_encoder_l2"))
        if adv is None or rec is None or metric is None:
            claim.results.append((dataset, "NOT RUN", "needs context_encoder, "
                                  f"context_encoder_l2, mask set {maskset} and (ST-)LPIPS"))
            continue
        p_adv, p_rec = _mean(adv, "psnr_hole"), _mean(rec, "psnr_hole")
        q_adv, q_rec = _mean(adv, metric), _mean(rec, metric)
        ok = p_adv < p_rec and q_adv < q_rec
        claim.results.append((dataset, "PASS" if ok else "FAIL",
                              f"hole PSNR {p_adv:.2f} vs {p_rec:.2f} dB; {metric} "
                              f"{q_adv:.4f} vs {q_rec:.4f} (lower is better)"))
    return claim


def border_band(known: np.ndarray, width: int = 2) -> np.ndarray:
    """Hole pixels within ``width`` px (chessboard distance) of a known pixel."""
    from scipy.ndimage import binary_dilation

    near = binary_dilation(known, structure=np.ones((3, 3), bool), iterations=width)
    return near & ~known


def border_l1(real_dir, completion_dir, mask_dir, ids, width: int = 2) -> np.ndarray:
    """Per-image mean absolute error (x100, [0, 1] scale) on the hole's border band."""
    from inpaint.io import read_image, read_mask

    out = np.full(len(ids), np.nan)
    for i, image_id in enumerate(ids):
        real = read_image(Path(real_dir) / f"{image_id}.png").astype(float) / 255
        done = read_image(Path(completion_dir) / f"{image_id}.png",
                          channels=real.shape[2]).astype(float) / 255
        band = border_band(read_mask(Path(mask_dir) / f"{image_id}.png", real.shape[:2]), width)
        if band.any():
            out[i] = 100 * np.abs(done[band] - real[band]).mean()
    return out


def blending_claim(results: str | os.PathLike, frames: Frames,
                   pairs=(("yeh_dcgan", "yeh_dcgan_raw"), ("glcic", "glcic_raw")),
                   folders: Mapping[str, str] | None = None) -> Claim:
    """``folders``: method -> its completions folder name (a multi-seed run's first seed)."""
    folders = folders or {}
    claim = Claim("Poisson blending lowers the error at the hole border "
                  "(L1 on hole pixels within 2 px of the known region, blended vs raw output).",
                  "Yeh et al. 2017; Iizuka et al. 2017")
    results = Path(results)
    for dataset in _datasets(frames):
        for blended, raw in pairs:
            masksets = [m for d, m, x in frames if d == dataset and x == blended
                        and (d, m, raw) in frames]
            if not masksets:
                claim.results.append((dataset, "NOT RUN", f"needs {blended} and {raw}"))
                continue
            a, b = [], []
            for maskset in masksets:
                ids = frames[(dataset, maskset, blended)].image_id.astype(str).tolist()
                args = (results / "data" / dataset / "test",)
                masks = results / "masks" / dataset / maskset
                comp = results / "completions" / dataset / maskset
                a.append(border_l1(*args, comp / folders.get(blended, blended), masks, ids))
                b.append(border_l1(*args, comp / folders.get(raw, raw), masks, ids))
            x, y = np.concatenate(a), np.concatenate(b)
            keep = np.isfinite(x) & np.isfinite(y)
            x, y = x[keep], y[keep]
            ok = x.mean() < y.mean()
            claim.results.append((dataset, "PASS" if ok else "FAIL",
                                  f"{blended} {x.mean():.2f} vs {raw} {y.mean():.2f} border L1 "
                                  f"(%), {np.mean(x < y):.0%} of {len(x)} images lower, "
                                  f"Wilcoxon p = {wilcoxon_p(x - y):.2g}"))
    return claim


def pconv_claim(frames: Frames, maskset: str = "irregular") -> Claim:
    claim = Claim(f"Partial convolutions beat plain convolutions on irregular holes (pconv vs "
                  f"pconv_plainconv, hole PSNR, mask set {maskset}).", "Liu et al. 2018")
    for dataset in _datasets(frames):
        a, b = frames.get((dataset, maskset, "pconv")), frames.get(
            (dataset, maskset, "pconv_plainconv"))
        if a is None or b is None:
            claim.results.append((dataset, "NOT RUN", f"needs pconv, pconv_plainconv, {maskset}"))
            continue
        pa, pb = _mean(a, "psnr_hole"), _mean(b, "psnr_hole")
        claim.results.append((dataset, "PASS" if pa > pb else "FAIL",
                              f"hole PSNR {pa:.2f} vs {pb:.2f} dB"))
    return claim


def _margin(frames: Frames, dataset: str, maskset: str, method: str) -> float | None:
    base = [_mean(f, "psnr_hole") for (d, m, x), f in frames.items()
            if d == dataset and m == maskset and x in CLASSICAL]
    if (dataset, maskset, method) not in frames or not base:
        return None
    return _mean(frames[(dataset, maskset, method)], "psnr_hole") - max(base)


def pixels_claim(frames: Frames, method: str = "yeh_dcgan") -> Claim:
    claim = Claim(f"{method} does relatively best on random-pixel masks: its hole-PSNR margin "
                  "over the best classical baseline is largest on the pixels mask set.",
                  "Yeh et al. 2017")
    for dataset in _datasets(frames):
        margins = {m: _margin(frames, dataset, m, method)
                   for m in dict.fromkeys(m for d, m, _ in frames if d == dataset)}
        margins = {m: v for m, v in margins.items() if v is not None}
        if "pixels" not in margins or len(margins) < 2:
            claim.results.append((dataset, "NOT RUN", f"needs {method}, a classical baseline, "
                                  "the pixels mask set and another mask set"))
            continue
        best = max(margins, key=margins.get)
        text = ", ".join(f"{m} {v:+.2f} dB" for m, v in margins.items())
        claim.results.append((dataset, "PASS" if best == "pixels" else "FAIL", text))
    return claim


def large_holes_claim(frames: Frames, threshold: float = LARGE_HOLE,
                      scattered: tuple[str, ...] = ("pixels",)) -> Claim:
    """``scattered``: mask sets whose holes are single pixels, not large holes however many."""
    claim = Claim(f"Learned methods beat classical ones on large holes (images with hole ratio "
                  f"> {threshold}, mask sets pooled except scattered-pixel ones "
                  f"({', '.join(scattered)}), hole PSNR of the best method of each kind).",
                  "all four papers")
    for dataset in _datasets(frames):
        means = {}
        for method in dict.fromkeys(x for d, _, x in frames if d == dataset):
            parts = [f[f.hole_ratio > threshold] for (d, m, x), f in frames.items()
                     if d == dataset and x == method and m not in scattered]
            pooled = pd.concat(parts) if parts else pd.DataFrame()
            if len(pooled):
                means[method] = _mean(pooled, "psnr_hole")
        classical = {m: v for m, v in means.items() if m in CLASSICAL}
        learned = {m: v for m, v in means.items() if m not in CLASSICAL}
        if not classical or not learned:
            claim.results.append((dataset, "NOT RUN", "needs learned and classical methods "
                                  f"and masks with hole ratio > {threshold}"))
            continue
        bl, bc = max(learned, key=learned.get), max(classical, key=classical.get)
        claim.results.append((dataset, "PASS" if learned[bl] > classical[bc] else "FAIL",
                              f"{bl} {learned[bl]:.2f} vs {bc} {classical[bc]:.2f} dB"))
    return claim


def check_claims(frames: Frames, results: str | os.PathLike = "results",
                 folders: Mapping[str, str] | None = None) -> list[Claim]:
    return [adversarial_claim(frames), blending_claim(results, frames, folders=folders),
            pconv_claim(frames),
            pixels_claim(frames), large_holes_claim(frames)]


def claims_markdown(claims: list[Claim]) -> str:
    lines = ["# Paper claims checked on this run", "",
             "Each claim on this run's test-split numbers (means over images; hole PSNR in dB). "
             "A claim PASSES when it holds on every dataset where it could be checked.", ""]
    for i, claim in enumerate(claims, 1):
        lines += [f"## {i}. {claim.verdict}: {claim.title}", "", f"Source: {claim.source}.", ""]
        lines += [f"- {dataset}: **{verdict}**: {text}" for dataset, verdict, text in claim.results]
        lines.append("")
    return "\n".join(lines)
