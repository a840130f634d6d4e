import numpy as np
import pandas as pd
from PIL import Image

from inpaint.claims import (
    adversarial_claim,
    blending_claim,
    border_band,
    claims_markdown,
    large_holes_claim,
    pconv_claim,
    pixels_claim,
)


def frame(psnr, st=None, ratio=0.25, n=5):
    data = {"image_id": [f"i{k}" for k in range(n)], "hole_ratio": ratio,
            "psnr_hole": np.full(n, psnr, float)}
    if st is not None:
        data["st_lpips"] = np.full(n, st, float)
    return pd.DataFrame(data)


def test_adversarial_claim_pass_fail_and_not_run():
    frames = {("d", "center", "context_encoder"): frame(20, st=0.1),
              ("d", "center", "context_encoder_l2"): frame(21, st=0.2)}
    assert adversarial_claim(frames).verdict == "PASS"
    frames[("d", "center", "context_encoder")] = frame(22, st=0.1)
    assert adversarial_claim(frames).verdict == "FAIL"
    assert adversarial_claim({("d", "center", "telea"): frame(10)}).verdict == "NOT RUN"


def test_pconv_pixels_and_large_hole_claims():
    frames = {("d", "irregular", "pconv"): frame(25), ("d", "irregular", "pconv_plainconv"):
              frame(24)}
    assert pconv_claim(frames).verdict == "PASS"
    frames = {(("d", m, x)): frame(v) for m, x, v in [
        ("pixels", "yeh_dcgan", 30), ("pixels", "biharmonic", 25),
        ("center", "yeh_dcgan", 18), ("center", "biharmonic", 17)]}
    claim = pixels_claim(frames)
    assert claim.verdict == "PASS"
    assert "pixels +5.00 dB" in claim.results[0][2]
    frames = {("d", "box", "glcic"): frame(20, ratio=0.4), ("d", "box", "telea"):
              frame(21, ratio=0.4), ("d", "pixels", "telea"): frame(30, ratio=0.1)}
    claim = large_holes_claim(frames)
    assert claim.verdict == "FAIL"  # the 0.1-ratio telea images are not pooled in
    assert "glcic 20.00 vs telea 21.00" in claim.results[0][2]
    frames[("d", "pixels", "telea")] = frame(30, ratio=0.8)  # scattered pixels: not large holes
    assert "glcic 20.00 vs telea 21.00" in large_holes_claim(frames).results[0][2]
    assert "vs telea 25.50" in large_holes_claim(frames, scattered=()).results[0][2]  # pooled


def test_border_band():
    known = np.ones((7, 7), bool)
    known[2:5, 2:5] = False
    band = border_band(known, width=1)
    assert band.sum() == 8  # the hole's ring, not its centre
    assert not band[3, 3]


def test_blending_claim_reads_the_completions(tmp_path):
    ids = ["a", "b"]
    real = np.full((8, 8), 100, np.uint8)
    known = np.ones((8, 8), bool)
    known[2:6, 2:6] = False
    for sub in ["data/d/test", "masks/d/box", "completions/d/box/glcic",
                "completions/d/box/glcic_raw"]:
        (tmp_path / sub).mkdir(parents=True)
    for image_id in ids:
        Image.fromarray(real).save(tmp_path / "data/d/test" / f"{image_id}.png")
        Image.fromarray(np.where(known, 255, 0).astype(np.uint8)).save(
            tmp_path / "masks/d/box" / f"{image_id}.png")
        blended, raw = real.copy(), real.copy()
        blended[~known], raw[~known] = 105, 140
        Image.fromarray(blended).save(tmp_path / "completions/d/box/glcic" / f"{image_id}.png")
        Image.fromarray(raw).save(tmp_path / "completions/d/box/glcic_raw" / f"{image_id}.png")
    frames = {("d", "box", "glcic"): frame(20, n=2), ("d", "box", "glcic_raw"): frame(19, n=2)}
    frames = {k: v.assign(image_id=ids) for k, v in frames.items()}
    claim = blending_claim(tmp_path, frames)
    verdicts = [v for _, v, _ in claim.results]
    assert verdicts == ["NOT RUN", "PASS"]  # no yeh_dcgan here; glcic blended is better
    assert claim.verdict == "PASS"
    assert "## 1. PASS" in claims_markdown([claim])
