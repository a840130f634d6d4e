import numpy as np
import pandas as pd
from PIL import Image

from inpaint.claims import (
    FAIL,
    NOT_RUN,
    NOT_SIG,
    PASS,
    Claim,
    PairedTest,
    adjust,
    adversarial_claim,
    blending_claim,
    border_band,
    check_claims,
    claims_markdown,
    large_holes_claim,
    pconv_claim,
    pixels_claim,
)
from inpaint.methods import registry
from inpaint.methods.classical import Telea

N = 12
NOISE = np.random.default_rng(0).normal(0, 0.05, N)  # distinct per-image values


def frame(psnr, st=None, ratio=0.25, n=N):
    data = {"image_id": [f"i{k}" for k in range(n)], "hole_ratio": ratio,
            "psnr_hole": psnr + NOISE[:n]}
    if st is not None:
        data["st_lpips"] = np.full(n, st, float) + NOISE[:n] / 100
    return pd.DataFrame(data)


def val_frame(psnr, masksets=("box",), ratio=0.4, n=6):
    return pd.concat([pd.DataFrame({"maskset": m, "image_id": [f"v{k}" for k in range(n)],
                                    "hole_ratio": ratio, "psnr_hole": float(psnr)})
                      for m in masksets], ignore_index=True)


def test_adversarial_claim_pass_fail_and_not_run():
    frames = {("d", "center", "context_encoder"): frame(20, st=0.1),
              ("d", "center", "context_encoder_l2"): frame(21, st=0.2)}
    claim = adversarial_claim(frames)
    assert claim.verdict == PASS
    assert "p_holm" in claim.results[0][2]
    frames[("d", "center", "context_encoder")] = frame(22, st=0.1)
    assert adversarial_claim(frames).verdict == FAIL  # PSNR significantly higher, not lower
    assert adversarial_claim({("d", "center", "telea"): frame(10)}).verdict == NOT_RUN


def test_a_mean_difference_without_a_significant_test_is_not_significant():
    rng = np.random.default_rng(5)
    noise = rng.normal(0, 3, N)
    a, b = frame(25), frame(25)
    a["psnr_hole"] = 25 + noise
    b["psnr_hole"] = 25 + rng.normal(0, 3, N)
    a["psnr_hole"] += 0.5 - (a.psnr_hole - b.psnr_hole).mean()  # mean diff exactly +0.5 dB
    claim = pconv_claim({("d", "irregular", "pconv"): a, ("d", "irregular", "pconv_plainconv"): b})
    _dataset, verdict, text = claim.results[0]
    assert verdict == NOT_SIG == claim.verdict  # the mean alone would have said PASS
    assert "mean diff +0.5" in text
    assert "not significant" in text
    assert "p = " in text
    assert "p_holm = " in text


def test_holm_adjusts_over_the_whole_family():
    def claim_with_p(p):
        claim = Claim("c", "s")
        claim.add("d", "t", [PairedTest("x", np.ones(12), +1)])
        claim.checks[0].tests[0].p = p
        return claim

    alone = adjust([claim_with_p(0.03)])
    assert alone[0].verdict == PASS
    pair = adjust([claim_with_p(0.03), claim_with_p(0.03)])  # Holm: 0.06, 0.06
    assert [c.verdict for c in pair] == [NOT_SIG, NOT_SIG]
    assert pair[0].checks[0].tests[0].p_holm == 0.06


def test_pconv_and_pixels_claims():
    frames = {("d", "irregular", "pconv"): frame(25), ("d", "irregular", "pconv_plainconv"):
              frame(24)}
    assert pconv_claim(frames).verdict == PASS
    frames = {(("d", m, x)): frame(v) for m, x, v in [
        ("pixels", "yeh_dcgan", 30), ("pixels", "biharmonic", 25), ("pixels", "telea", 26),
        ("center", "yeh_dcgan", 18), ("center", "biharmonic", 17), ("center", "telea", 16)]}
    assert pixels_claim(frames).verdict == NOT_RUN  # no validation scores: nothing chooses
    # validation picks biharmonic on pixels although telea is better there on test
    validation = {"d": {"biharmonic": val_frame(20, ("pixels", "center")),
                        "telea": val_frame(19, ("pixels", "center"))}}
    claim = pixels_claim(frames, validation=validation)
    assert claim.verdict == PASS
    assert "pixels +5.00 dB (vs biharmonic)" in claim.results[0][2]
    assert "center +1.00 dB (vs biharmonic)" in claim.results[0][2]


def test_large_hole_representatives_are_chosen_on_validation():
    frames = {("d", "box", "glcic"): frame(20, ratio=0.4),
              ("d", "box", "pconv"): frame(23, ratio=0.4),  # the test split's best learned
              ("d", "box", "telea"): frame(19, ratio=0.4),
              ("d", "box", "biharmonic"): frame(21, ratio=0.4),  # the test's best classical
              ("d", "box", "example_mean_fill"): frame(30, ratio=0.4),  # external
              ("d", "pixels", "telea"): frame(40, ratio=0.8)}  # scattered: not large holes
    assert large_holes_claim(frames).verdict == NOT_RUN  # no validation scores
    validation = {"d": {"glcic": val_frame(18), "pconv": val_frame(17),
                        "telea": val_frame(16), "biharmonic": val_frame(15),
                        "example_mean_fill": val_frame(99)}}
    claim = large_holes_claim(frames, validation=validation)
    _dataset, verdict, text = claim.results[0]
    assert verdict == PASS  # glcic 20 vs telea 19 on test, paired, significant
    assert "learned glcic (val hole PSNR 18.00 dB, best of 2)" in text
    assert "classical telea (16.00 dB, best of 2)" in text
    assert "external, neither kind: example_mean_fill" in text
    assert "tested on test: glcic 20.00 vs telea 19.00 dB" in text
    # the 0.2-ratio validation images are not large holes: the choice ignores them
    validation["d"]["pconv"] = pd.concat([val_frame(17), val_frame(50, ratio=0.2)])
    assert "learned glcic" in large_holes_claim(frames, validation=validation).results[0][2]


def test_a_new_classical_method_joins_the_large_hole_claim(monkeypatch):
    class NewFill(Telea):
        """A classical method registered later."""

    monkeypatch.setitem(registry._METHODS, "new_fill", NewFill)
    frames = {("d", "box", "glcic"): frame(20, ratio=0.4),
              ("d", "box", "telea"): frame(19, ratio=0.4),
              ("d", "box", "new_fill"): frame(21, ratio=0.4)}
    validation = {"d": {"glcic": val_frame(18), "telea": val_frame(16),
                        "new_fill": val_frame(17)}}
    claim = large_holes_claim(frames, validation=validation)
    assert "classical new_fill" in claim.results[0][2]
    assert claim.verdict == FAIL  # glcic 20 vs new_fill 21: significantly worse


def test_border_band():
    known = np.ones((7, 7), bool)
    known[2:5, 2:5] = False
    band = border_band(known, width=1)
    assert band.sum() == 8  # the hole's ring, not its centre
    assert not band[3, 3]


def test_blending_claim_reads_the_completions(tmp_path):
    ids = [f"i{k}" for k in range(N)]
    real = np.full((8, 8), 100, np.uint8)
    known = np.ones((8, 8), bool)
    known[2:6, 2:6] = False
    for sub in ["data/d/test", "masks/d/box", "completions/d/box/glcic",
                "completions/d/box/glcic_raw"]:
        (tmp_path / sub).mkdir(parents=True)
    for k, image_id in enumerate(ids):
        Image.fromarray(real).save(tmp_path / "data/d/test" / f"{image_id}.png")
        Image.fromarray(np.where(known, 255, 0).astype(np.uint8)).save(
            tmp_path / "masks/d/box" / f"{image_id}.png")
        blended, raw = real.copy(), real.copy()
        blended[~known], raw[~known] = 105 + k % 3, 140 + k
        Image.fromarray(blended).save(tmp_path / "completions/d/box/glcic" / f"{image_id}.png")
        Image.fromarray(raw).save(tmp_path / "completions/d/box/glcic_raw" / f"{image_id}.png")
    frames = {("d", "box", "glcic"): frame(20), ("d", "box", "glcic_raw"): frame(19)}
    claim = blending_claim(tmp_path, frames)
    verdicts = [v for _, v, _ in claim.results]
    assert verdicts == [NOT_RUN, PASS]  # no yeh_dcgan here; glcic blended is better
    assert claim.verdict == PASS
    claims = check_claims(frames, tmp_path)
    page = claims_markdown(claims)
    assert "## 2. PASS" in page
    assert "Holm-Bonferroni adjusted over all 1 test(s)" in page
