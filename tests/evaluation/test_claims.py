import numpy as np
import pandas as pd

from inpaint.evaluation.across_seeds import collapse_seeds
from inpaint.evaluation.claim_verdicts import (
    FAIL,
    NOT_RUN,
    NOT_SIG,
    PASS,
    Claim,
    PairedTest,
    adjust,
)
from inpaint.evaluation.claims import (
    adversarial_claim,
    blending_claim,
    check_claims,
    claims_markdown,
    large_holes_claim,
    pconv_claim,
    pixels_claim,
)
from inpaint.evaluation.metrics_csv import BORDER_COLUMN
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


def test_blending_claim_reads_the_border_column_of_the_metrics():
    rng = np.random.default_rng(3)
    blended, raw = frame(20), frame(19)
    blended[BORDER_COLUMN] = 2.0 + rng.uniform(0, 0.5, N)
    raw[BORDER_COLUMN] = 4.0 + rng.uniform(0, 0.5, N)
    frames = {("d", "box", "glcic"): blended, ("d", "box", "glcic_raw"): raw}
    claim = blending_claim(frames)
    verdicts = [v for _, v, _ in claim.results]
    assert verdicts == [NOT_RUN, PASS]  # no yeh_dcgan here; glcic blended is better
    assert claim.verdict == PASS
    page = claims_markdown(check_claims(frames))
    assert "## 2. PASS" in page
    assert "Holm-Bonferroni adjusted over all 1 test(s)" in page
    # metrics scored before the column existed: not run, and the page says why
    old = {k: f.drop(columns=[BORDER_COLUMN]) for k, f in frames.items()}
    assert "rerun evaluate" in blending_claim(old).results[1][2]
    assert blending_claim(old).verdict == NOT_RUN


def test_blending_claim_uses_a_multi_seed_methods_first_seed():
    rng = np.random.default_rng(4)
    runs = {}
    for run, border in (("glcic.seed0", 2.0), ("glcic.seed1", 9.0), ("glcic_raw.seed0", 4.0),
                        ("glcic_raw.seed1", 1.0)):
        runs[("d", "box", run)] = frame(20).assign(
            **{BORDER_COLUMN: border + rng.uniform(0, 0.5, N)})
    methods = collapse_seeds(runs)
    assert blending_claim(methods, run_frames=runs).verdict == PASS  # seed 0: 2 < 4
    assert blending_claim(methods).verdict == FAIL  # averaged: 5.5 > 2.5
