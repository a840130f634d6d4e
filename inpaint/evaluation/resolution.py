"""Learned and classical methods at a larger size than the models were trained on: the
config's ``resolution`` block, LaMa's resolution claim (Suvorov et al. 2022).

The workflow completes dataset ``{name}.x{scale}`` (the test split of ``name`` rendered at
``scale`` x its size, :func:`inpaint.data.prepare_dataset`) with the listed methods, the
learned ones with their model trained on ``name``. Two outputs read its per-image metrics:

* results/tables/resolution.{csv,md,html} (:func:`resolution_table`): per dataset, mask set
  and method, hole PSNR, SSIM hole and LPIPS at the training size and at the larger size,
  and the change;
* the claims page's resolution claim (:func:`resolution_claim`): each learned method at the
  larger size against the classical method with the best hole PSNR on the VALIDATION split
  at the training size (the larger size has no validation split), mask sets pooled, paired
  by mask set and image: it PASSES when the learned method's hole PSNR is higher and its
  LPIPS lower, both significantly (LaMa's paper reports perceptual metrics; PSNR is the
  summary's headline).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from inpaint.data import split_scaled
from inpaint.data.store import load_info
from inpaint.errors import InpaintError
from inpaint.evaluation.claim_verdicts import Claim, PairedTest, adjust_alone
from inpaint.evaluation.htmlpage import markdown_to_html
from inpaint.evaluation.metrics_csv import read_metric_frames
from inpaint.evaluation.stats import (
    aligned,
    best_by,
    mean_of,
    method_kind,
    of_kind,
    pooled_masksets,
)
from inpaint.io import write_csv, write_text

Frames = Mapping[tuple[str, str, str], pd.DataFrame]
Validation = Mapping[str, Mapping[str, pd.DataFrame]]
METRICS = ("psnr_hole", "ssim_hole", "lpips")
TITLE = "Resolution: methods at a larger size than the learned ones were trained on"


def scaled_frames(frames: Frames) -> dict[int, dict[tuple[str, str, str], pd.DataFrame]]:
    """scale -> the frames of scaled datasets, keyed by (configured dataset, mask set, method)."""
    out: dict[int, dict] = {}
    for (dataset, maskset, method), frame in frames.items():
        base, scale = split_scaled(dataset)
        if scale is not None:
            out.setdefault(scale, {})[(base, maskset, method)] = frame
    return out


def _fmt(value: float, digits: int) -> str:
    return "-" if not math.isfinite(value) else f"{value:.{digits}f}"


def resolution_claim(frames: Frames, scaled: Frames, scale: int,
                     validation: Validation | None = None) -> Claim:
    """``frames``: the configured datasets' metrics; ``scaled``: the ``scale`` x datasets',
    keyed by their configured dataset's name (:func:`scaled_frames`)."""
    claim = Claim(f"A learned model completes images at {scale}x the size it was trained on "
                  "better than the classical methods: higher hole PSNR and lower LPIPS than "
                  "the classical method with the best validation hole PSNR (chosen at the "
                  "training size), mask sets pooled.", "Suvorov et al. 2022 (LaMa)")
    datasets = list(dict.fromkeys(d for d, _, _ in scaled))
    if not datasets:
        claim.add("-", f"needs completions at {scale}x the training size (config `resolution`)")
    for dataset in datasets:
        methods = list(dict.fromkeys(x for d, _, x in scaled if d == dataset))
        means = {}
        for method in of_kind(methods, "classical"):
            rows = (validation or {}).get(dataset, {}).get(method)
            if rows is not None:
                means[method] = mean_of(rows, "psnr_hole")
        base = best_by(means, higher=True)
        learned = of_kind(methods, "learned")
        if base is None or not learned:
            claim.add(dataset, f"needs a learned and a classical method at {scale}x and the "
                      "classical ones' validation scores")
            continue
        for method in learned:
            a, b = (pooled_masksets(scaled, dataset, m) for m in (method, base))
            a1, b1 = (pooled_masksets(frames, dataset, m) for m in (method, base))
            on = ("maskset", "image_id")
            tests = []
            for metric, sign, what in (("psnr_hole", +1, "hole PSNR higher"),
                                       ("lpips", -1, "LPIPS lower")):
                if metric in a and metric in b and a[metric].notna().any():
                    x, y = aligned(a, b, metric, on)
                    tests.append(PairedTest(f"{method} {what} than {base}", x - y, sign))
            text = (f"{method} vs {base} (best classical of {len(means)} on validation, "
                    f"{means[base]:.2f} dB): at {scale}x hole PSNR "
                    f"{_fmt(mean_of(a, 'psnr_hole'), 2)} vs {_fmt(mean_of(b, 'psnr_hole'), 2)} "
                    f"dB, LPIPS {_fmt(mean_of(a, 'lpips'), 4)} vs {_fmt(mean_of(b, 'lpips'), 4)}"
                    f"; at the training size {_fmt(mean_of(a1, 'psnr_hole'), 2)} vs "
                    f"{_fmt(mean_of(b1, 'psnr_hole'), 2)} dB, LPIPS "
                    f"{_fmt(mean_of(a1, 'lpips'), 4)} vs {_fmt(mean_of(b1, 'lpips'), 4)}")
            claim.add(dataset, text, tests)
    return adjust_alone(claim)


def resolution_claims(frames: Frames, validation: Validation | None = None) -> list[Claim]:
    """The resolution claim for every scale among ``frames``' datasets (none without any);
    ``frames`` holds configured and scaled datasets' metrics together."""
    configured = {k: f for k, f in frames.items() if split_scaled(k[0])[1] is None}
    return [resolution_claim(configured, scaled, scale, validation)
            for scale, scaled in sorted(scaled_frames(frames).items())]


def resolution_rows(frames: Frames, sizes: Mapping[str, int] | None = None) -> pd.DataFrame:
    """One row per scaled dataset x mask set x method: each metric's mean at the training
    size, at the larger size and the change."""
    rows = []
    configured = {k: f for k, f in frames.items() if split_scaled(k[0])[1] is None}
    for scale, scaled in sorted(scaled_frames(frames).items()):
        for (dataset, maskset, method), big in scaled.items():
            small = configured.get((dataset, maskset, method))
            size = (sizes or {}).get(dataset)
            row = {"dataset": dataset, "maskset": maskset, "method": method,
                   "kind": method_kind(method) or "external", "scale": scale,
                   "size": size, "tested_size": size * scale if size else None,
                   "n": len(big)}
            for metric in METRICS:
                at1, at2 = mean_of(small, metric), mean_of(big, metric)
                row[f"{metric}_train_size"] = at1
                row[f"{metric}_scaled"] = at2
                row[f"{metric}_change"] = at2 - at1
            rows.append(row)
    return pd.DataFrame(rows)


def resolution_markdown(table: pd.DataFrame) -> str:
    lines = [f"# {TITLE}", "",
             "Each dataset's test split rendered again at the larger size (the same images; "
             "masks drawn at that size), completed by learned methods with the model trained "
             "at the configured size and by classical methods. Means over the test images "
             "(hole PSNR in dB, each value capped at 100 dB; SSIM hole; LPIPS, lower is "
             "better); 'train' = at the configured size, 'x' = at the larger size.", ""]
    for (dataset, scale), group in table.groupby(["dataset", "scale"], sort=False):
        size = group["size"].iloc[0]
        where = f", {int(size)} -> {int(size) * int(scale)} px" if pd.notna(size) else ""
        lines += [f"## {dataset} at {scale}x{where}", "",
                  "| mask set | method | kind | hole PSNR train | hole PSNR x | change | "
                  "SSIM hole x | LPIPS train | LPIPS x |",
                  "|:--|:--|:--|--:|--:|--:|--:|--:|--:|"]
        for row in group.itertuples():
            lines.append(
                f"| {row.maskset} | {row.method} | {row.kind} | "
                f"{_fmt(row.psnr_hole_train_size, 2)} | {_fmt(row.psnr_hole_scaled, 2)} | "
                f"{_fmt(row.psnr_hole_change, 2)} | {_fmt(row.ssim_hole_scaled, 4)} | "
                f"{_fmt(row.lpips_train_size, 4)} | {_fmt(row.lpips_scaled, 4)} |")
        lines.append("")
    return "\n".join(lines)


def resolution_table(metric_paths, data_dirs, out_dir: str | os.PathLike) -> pd.DataFrame:
    """results/tables/resolution.{csv,md,html} from the configured and the scaled datasets'
    per-image metrics; ``data_dirs`` give the configured sizes."""
    frames = read_metric_frames(metric_paths)
    table = resolution_rows(frames, {i.name: i.size for i in map(load_info, data_dirs)})
    if table.empty:
        raise InpaintError("resolution table: no metrics of a scaled dataset "
                           "(results/metrics/{dataset}.x{scale}/...) among the inputs")
    out = Path(out_dir)
    write_csv(out / "resolution.csv", table)
    markdown = resolution_markdown(table)
    write_text(out / "resolution.md", markdown)
    write_text(out / "resolution.html", markdown_to_html(markdown, "resolution"))
    return table
