"""The tables step: every page of results/tables from the per-image metrics.

    summary.csv/.md/.tex, by_hole_ratio.csv/.md   inpaint.evaluation.summary, .tables
    seeds.csv/.md                                 inpaint.evaluation.across_seeds
    paired.csv/.md                                inpaint.evaluation.stats
    claims.md                                     inpaint.evaluation.claims
    *.html                                        inpaint.evaluation.htmlpage
"""

from __future__ import annotations

from pathlib import Path

from inpaint.data.store import load_info
from inpaint.errors import InpaintError
from inpaint.evaluation.across_seeds import collapse_seeds, seed_markdown, seed_table
from inpaint.evaluation.caveats import caveat_notes, notes_markdown
from inpaint.evaluation.claims import check_claims, claims_markdown
from inpaint.evaluation.htmlpage import markdown_to_html
from inpaint.evaluation.loss_notes import loss_term_notes, model_records
from inpaint.evaluation.metrics_csv import read_metric_frames
from inpaint.evaluation.perceptual import lpips_status
from inpaint.evaluation.stats import paired_comparisons, paired_markdown
from inpaint.evaluation.summary import by_hole_ratio, summarize
from inpaint.evaluation.tables import write_tables
from inpaint.evaluation.validation import read_validation
from inpaint.io import write_csv, write_text

SEED_METRICS = ("psnr", "psnr_hole", "ssim", "ssim_hole", "lpips", "st_lpips")


def make_tables(metric_paths, out_dir, data_dirs=(), n_boot: int = 1000,
                seed: int = 0, lpips_enabled: bool = True, validation_paths=(),
                model_paths=(), scaled_paths=()) -> None:
    """Every page of results/tables from per-image metrics CSVs: summary.csv/.md/.tex,
    by_hole_ratio.csv/.md, seeds.csv/.md, paired.csv/.md, claims.md and HTML copies.

    Dataset display labels (e.g. "synthetic faces") come from the prepared
    datasets' info.json in ``data_dirs``. ``validation_paths``
    (results/validation/{dataset}/{method}.csv) choose the paired table's
    baselines and the claims' representatives on the validation split.
    ``model_paths`` (results/models/{dataset}/{run}/model.json) tell the caveats and
    loss-term notes how the learned runs were trained. ``scaled_paths``: metrics of scaled
    datasets (results/metrics/{dataset}.x{scale}/..., the config's ``resolution`` block),
    read only by the claims page (LaMa's resolution claim). No other file is read (the
    tables rule declares these); only where every lpips value is empty does
    ``lpips_status`` look whether the LPIPS weights exist, to say why.
    """
    frames = read_metric_frames(metric_paths)
    if not frames:
        raise InpaintError("no metrics files given")
    labels = {info.name: info.label for info in map(load_info, data_dirs)}
    notes = []
    if all(frame["lpips"].isna().all() for frame in frames.values()):
        reason = lpips_status()[1] if lpips_enabled else "disabled in the config (evaluation.lpips)"
        notes.append(f"lpips column empty: {reason}.")
    if any("st_lpips" in frame.columns for frame in frames.values()):
        notes.append(
            "ST-LPIPS is the shift-tolerant LPIPS of Ghildyal & Liu 2022 (AlexNet, weights "
            "shipped in stlpips-pytorch 0.0.2), a different metric from LPIPS: do not compare "
            "its values with published LPIPS numbers."
        )
    # where a row departs from its paper (glcic at 32 px, DCGAN faces): tables and claims say so
    records = model_records(model_paths)
    caveats = caveat_notes([(d, m) for d, _, m in frames],
                           {i.name: i for i in map(load_info, data_dirs)}, records)
    # rows of methods trained with fewer loss terms than their paper (from model.json)
    caveats += loss_term_notes([(d, m) for d, _, m in frames], records)
    notes.extend(caveats)
    summary = summarize(frames, n_boot=n_boot, seed=seed, labels=labels or None)
    write_tables(out_dir, summary, by_hole_ratio(frames, labels=labels or None), notes=notes)
    seed_metrics = [m for m in SEED_METRICS if f"{m}_mean" in summary.columns]
    by_seed = seed_table(summary, seed_metrics)
    write_csv(Path(out_dir) / "seeds.csv", by_seed)
    write_text(Path(out_dir) / "seeds.md", seed_markdown(by_seed, seed_metrics))
    # paired tests and claims: a multi-seed method's per-image metrics averaged over seeds
    methods = collapse_seeds(frames)
    validation = read_validation(validation_paths)
    paired = paired_comparisons(methods, validation=validation)
    write_csv(Path(out_dir) / "paired.csv", paired)
    write_text(Path(out_dir) / "paired.md", paired_markdown(paired))
    scaled = read_metric_frames(scaled_paths)
    claims = check_claims(methods, frames, validation=validation, scaled=scaled)
    write_text(Path(out_dir) / "claims.md", claims_markdown(claims) + notes_markdown(caveats))
    # HTML copies of the markdown pages, for the Snakemake report
    for name in ("summary", "by_hole_ratio", "paired", "claims", "seeds"):
        markdown = (Path(out_dir) / f"{name}.md").read_text()
        write_text(Path(out_dir) / f"{name}.html", markdown_to_html(markdown, name))
