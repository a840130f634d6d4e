"""Check the papers' qualitative claims on a run's own numbers -> claims.md.

Every claim is decided by paired tests on the test split's per-image metrics
(the blending claim on the hole-border L1 that ``evaluate`` scores): a two-sided Wilcoxon
signed-rank test per comparison, its p-value Holm-Bonferroni adjusted over
the whole family of the page's tests. A check PASSES when every difference
it needs goes the claimed way and is significant after adjustment
(p_holm < :data:`inpaint.evaluation.stats.ALPHA`), FAILS when one goes significantly the
other way, and is NOT SIGNIFICANT otherwise; NOT RUN when the run lacks the
methods, mask sets or validation scores it needs.

Choices a claim needs (the representative learned and classical method, the
classical baseline of a mask set) are made on the VALIDATION split
(``inpaint.evaluation.validation``'s per-image scores), never on the test split. Which
methods are learned or classical comes from the method registry; external
methods (config ``external: true``) are neither and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from inpaint.evaluation.across_seeds import first_seed_runs
from inpaint.evaluation.claim_verdicts import Claim, PairedTest, adjust, adjust_alone
from inpaint.evaluation.metrics_csv import BORDER_COLUMN
from inpaint.evaluation.stats import (
    ALPHA,
    aligned,
    best_by,
    mean_of,
    method_kind,
    of_kind,
    pooled_masksets,
)
from inpaint.evaluation.summary import PSNR_CAP

Frames = Mapping[tuple[str, str, str], pd.DataFrame]
# dataset -> method -> per-image validation frame (maskset, image_id, hole_ratio, metrics)
Validation = Mapping[str, Mapping[str, pd.DataFrame]]
LARGE_HOLE = 0.3  # "large holes": hole ratio above this
def _perceptual(frames: Frames) -> str | None:
    for metric in ("lpips", "st_lpips"):
        if any(metric in f and f[metric].notna().any() for f in frames.values()):
            return metric
    return None


def _datasets(frames: Frames) -> list[str]:
    return list(dict.fromkeys(d for d, _, _ in frames))


def _paired_diff(a: pd.DataFrame, b: pd.DataFrame, metric: str,
                 on: Sequence[str] = ("image_id",)) -> np.ndarray:
    x, y = aligned(a, b, metric, on)
    return x - y


def adversarial_claim(frames: Frames, maskset: str = "center") -> Claim:
    claim = Claim("The adversarial term lowers PSNR against reconstruction-only training but "
                  "improves the perceptual metric (context_encoder vs context_encoder_l2, "
                  f"mask set {maskset}).", "Pathak et al. 2016")
    metric = _perceptual(frames)
    for dataset in _datasets(frames):
        adv, rec = frames.get((dataset, maskset, "context_encoder")), frames.get(
            (dataset, maskset, "context_encoder_l2"))
        if adv is None or rec is None or metric is None:
            claim.add(dataset, "needs context_encoder, context_encoder_l2, mask set "
                      f"{maskset} and (ST-)LPIPS")
            continue
        text = (f"hole PSNR {mean_of(adv, 'psnr_hole'):.2f} vs {mean_of(rec, 'psnr_hole'):.2f} "
                f"dB; {metric} {mean_of(adv, metric):.4f} vs {mean_of(rec, metric):.4f} "
                "(lower is better)")
        claim.add(dataset, text, [
            PairedTest("hole PSNR lower", _paired_diff(adv, rec, "psnr_hole"), -1),
            PairedTest(f"{metric} lower", _paired_diff(adv, rec, metric), -1)])
    return adjust_alone(claim)


def _first_run(run_frames: Frames, dataset: str, maskset: str, method: str,
               folders: Mapping[str, str]) -> pd.DataFrame | None:
    return run_frames.get((dataset, maskset, folders.get(method, method)))


def blending_claim(frames: Frames,
                   pairs=(("yeh_dcgan", "yeh_dcgan_raw"), ("glcic", "glcic_raw")),
                   run_frames: Frames | None = None) -> Claim:
    """Decided on the per-image :data:`BORDER_COLUMN` of the metrics that ``evaluate``
    wrote. ``run_frames``: the frames keyed by run (before seeds are collapsed); a
    multi-seed method is judged on its first seed's completions. Default: ``frames``."""
    run_frames = frames if run_frames is None else run_frames
    folders = first_seed_runs(run_frames)
    claim = Claim("Poisson blending lowers the error at the hole border "
                  "(L1 on hole pixels within 2 px of the known region, blended vs raw output).",
                  "Yeh et al. 2017; Iizuka et al. 2017")
    for dataset in _datasets(frames):
        for blended, raw in pairs:
            masksets = [m for d, m, x in frames if d == dataset and x == blended
                        and (d, m, raw) in frames]
            sources = {m: (_first_run(run_frames, dataset, m, blended, folders),
                           _first_run(run_frames, dataset, m, raw, folders)) for m in masksets}
            if not masksets:
                claim.add(dataset, f"needs {blended} and {raw}")
                continue
            if any(f is None or BORDER_COLUMN not in f for pair in sources.values() for f in pair):
                claim.add(dataset, f"needs {blended} and {raw} scored with {BORDER_COLUMN} "
                          "(rerun evaluate)")
                continue
            a, b = [], []
            for maskset in masksets:
                ids = frames[(dataset, maskset, blended)].image_id.astype(str).tolist()
                for out, source in zip((a, b), sources[maskset], strict=True):
                    by_id = source.set_index(source.image_id.astype(str))[BORDER_COLUMN]
                    out.append(by_id.reindex(ids).to_numpy(float))
            x, y = np.concatenate(a), np.concatenate(b)
            keep = np.isfinite(x) & np.isfinite(y)
            x, y = x[keep], y[keep]
            claim.add(dataset, f"{blended} {x.mean():.2f} vs {raw} {y.mean():.2f} border L1 "
                      f"(%), {np.mean(x < y):.0%} of {len(x)} images lower",
                      [PairedTest(f"{blended} border L1 lower", x - y, -1)])
    return adjust_alone(claim)


def pconv_claim(frames: Frames, maskset: str = "irregular") -> Claim:
    claim = Claim(f"Partial convolutions beat plain convolutions on irregular holes (pconv vs "
                  f"pconv_plainconv, hole PSNR, mask set {maskset}).", "Liu et al. 2018")
    for dataset in _datasets(frames):
        a, b = frames.get((dataset, maskset, "pconv")), frames.get(
            (dataset, maskset, "pconv_plainconv"))
        if a is None or b is None:
            claim.add(dataset, f"needs pconv, pconv_plainconv, {maskset}")
            continue
        claim.add(dataset, f"hole PSNR {mean_of(a, 'psnr_hole'):.2f} vs "
                  f"{mean_of(b, 'psnr_hole'):.2f} dB",
                  [PairedTest("pconv hole PSNR higher", _paired_diff(a, b, "psnr_hole"), +1)])
    return adjust_alone(claim)


def _val_rows(validation: Validation, dataset: str, method: str) -> pd.DataFrame | None:
    return (validation or {}).get(dataset, {}).get(method)


def _val_baseline(frames: Frames, validation: Validation, dataset: str, maskset: str
                  ) -> tuple[str | None, float]:
    """The classical method with the best validation hole PSNR on this mask set."""
    means = {}
    for method in of_kind((x for d, m, x in frames if (d, m) == (dataset, maskset)),
                          "classical"):
        rows = _val_rows(validation, dataset, method)
        if rows is not None:
            means[method] = mean_of(rows[rows["maskset"] == maskset], "psnr_hole")
    best = best_by(means, higher=True)
    return best, means.get(best, float("nan"))


def pixels_claim(frames: Frames, method: str = "yeh_dcgan",
                 validation: Validation | None = None) -> Claim:
    claim = Claim(f"{method} does relatively best on random-pixel masks: its hole-PSNR margin "
                  "over the classical baseline (chosen per mask set on the validation split) "
                  "is largest on the pixels mask set.", "Yeh et al. 2017")
    for dataset in _datasets(frames):
        masksets = list(dict.fromkeys(m for d, m, x in frames if d == dataset and x == method))
        margins, bases = {}, {}
        for maskset in masksets:
            base, _ = _val_baseline(frames, validation, dataset, maskset)
            if base is None:
                continue
            margins[maskset] = _margin_frame(frames[(dataset, maskset, method)],
                                             frames[(dataset, maskset, base)])
            bases[maskset] = base
        if "pixels" not in margins or len(margins) < 2:
            claim.add(dataset, f"needs {method}, a classical baseline with validation scores, "
                      "the pixels mask set and another mask set")
            continue
        means = {m: float(f.margin.mean()) for m, f in margins.items()}
        text = ", ".join(f"{m} {v:+.2f} dB (vs {bases[m]})" for m, v in means.items())
        tests = [PairedTest(f"pixels margin above {m}'s",
                      _paired_diff(margins["pixels"], margins[m], "margin"), +1)
                 for m in margins if m != "pixels"]
        claim.add(dataset, f"margins over the validation-chosen classical baseline: {text}",
                  tests)
    return adjust_alone(claim)


def _margin_frame(own: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    """Per-image hole-PSNR margin own - ref, paired by image_id (PSNR capped at 100 dB)."""
    a = own[["image_id", "psnr_hole"]].assign(image_id=own.image_id.astype(str))
    b = ref[["image_id", "psnr_hole"]].assign(image_id=ref.image_id.astype(str))
    j = a.merge(b, on="image_id", suffixes=("_a", "_b"))
    margin = (np.minimum(j.psnr_hole_a.to_numpy(float), PSNR_CAP)
              - np.minimum(j.psnr_hole_b.to_numpy(float), PSNR_CAP))
    return pd.DataFrame({"image_id": j.image_id, "margin": margin})


def _large(frame: pd.DataFrame, threshold: float, scattered: Sequence[str]) -> pd.DataFrame:
    frame = frame[~frame["maskset"].isin(list(scattered))]
    return frame[pd.to_numeric(frame["hole_ratio"], errors="coerce") > threshold]


def large_holes_claim(frames: Frames, threshold: float = LARGE_HOLE,
                      scattered: tuple[str, ...] = ("pixels",),
                      validation: Validation | None = None) -> Claim:
    """``scattered``: mask sets whose holes are single pixels, not large holes however many.

    The representative of each kind is the method with the best hole PSNR on the
    validation split's large holes (same filter); the two are then compared on
    the test split's large holes (pooled mask sets, paired by mask set and image).
    """
    claim = Claim(f"Learned methods beat classical ones on large holes (images with hole ratio "
                  f"> {threshold}, mask sets pooled except scattered-pixel ones "
                  f"({', '.join(scattered)}); the best learned and the best classical method "
                  "chosen on the validation split by hole PSNR, compared on the test split).",
                  "all four papers")
    for dataset in _datasets(frames):
        methods = list(dict.fromkeys(x for d, _, x in frames if d == dataset))
        external = [m for m in methods if method_kind(m) is None]
        skipped = f" (external, neither kind: {', '.join(external)})" if external else ""
        test = {}
        for method in methods:
            test[method] = _large(pooled_masksets(frames, dataset, method), threshold,
                                  scattered)
        val = {}
        for method in methods:
            rows = _val_rows(validation, dataset, method)
            if rows is not None and method_kind(method) is not None:
                val[method] = _large(rows, threshold, scattered)
        reps = {}
        for kind in ("learned", "classical"):
            pool = [m for m in of_kind(val, kind) if len(test[m])]
            means = {m: mean_of(val[m], "psnr_hole") for m in pool}
            best = best_by(means, higher=True)
            if best is not None:
                reps[kind] = (best, means[best], len(pool), len(val[best]))
        if len(reps) < 2:
            claim.add(dataset, "needs learned and classical methods with validation scores "
                      f"and images with hole ratio > {threshold} on both splits{skipped}")
            continue
        (bl, vl, nl, kl), (bc, vc, nc, _) = reps["learned"], reps["classical"]
        a, b = test[bl], test[bc]
        diff = _paired_diff(a, b, "psnr_hole", on=("maskset", "image_id"))
        text = (f"representatives chosen on validation ({kl} large-hole images): learned {bl} "
                f"(val hole PSNR {vl:.2f} dB, best of {nl}), classical {bc} ({vc:.2f} dB, best "
                f"of {nc}){skipped}; tested on test: {bl} {mean_of(a, 'psnr_hole'):.2f} vs "
                f"{bc} {mean_of(b, 'psnr_hole'):.2f} dB")
        claim.add(dataset, text, [PairedTest(f"{bl} hole PSNR higher than {bc}", diff, +1)])
    return adjust_alone(claim)


def check_claims(frames: Frames, run_frames: Frames | None = None,
                 validation: Validation | None = None,
                 scaled: Frames | None = None) -> list[Claim]:
    """Every claim, its p-values Holm-adjusted over the whole page as one family.

    ``frames``: per-image metrics keyed by method (a multi-seed method's runs averaged,
    ``collapse_seeds``); ``run_frames``: keyed by run, as read (default ``frames``);
    ``scaled``: the metrics of scaled datasets (``{dataset}.x{scale}``, the config's
    ``resolution`` block), which add LaMa's resolution claim.
    """
    from inpaint.evaluation.resolution import resolution_claims

    claims = [adversarial_claim(frames), blending_claim(frames, run_frames=run_frames),
              pconv_claim(frames), pixels_claim(frames, validation=validation),
              large_holes_claim(frames, validation=validation)]
    if scaled:
        claims += resolution_claims({**frames, **scaled}, validation=validation)
    return adjust(claims)


def claims_markdown(claims: list[Claim]) -> str:
    n_tests = sum(len(c.tests) for claim in claims for c in claim.checks)
    lines = ["# Paper claims checked on this run", "",
             "Each claim on this run's test-split numbers (means over images; hole PSNR in dB), "
             "decided by paired two-sided Wilcoxon signed-rank tests on the per-image values; "
             f"p_holm = p Holm-Bonferroni adjusted over all {n_tests} test(s) on this page. "
             f"A check PASSES when every difference it needs goes the claimed way with p_holm < "
             f"{ALPHA:g}, FAILS when one goes significantly the other way, and is NOT "
             "SIGNIFICANT otherwise. Representatives and baselines are chosen on the "
             "validation split, never on the test split. A claim PASSES when it passes on "
             "every dataset where it could be checked.", ""]
    for i, claim in enumerate(claims, 1):
        lines += [f"## {i}. {claim.verdict}: {claim.title}", "", f"Source: {claim.source}.", ""]
        lines += [f"- {dataset}: **{verdict}**: {text}" for dataset, verdict, text in claim.results]
        lines.append("")
    return "\n".join(lines)
