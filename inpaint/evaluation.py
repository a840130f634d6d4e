"""Glue from the results layout to metrics, tables and figures.

    results/metrics/{dataset}/{maskset}/{method}.csv   <- evaluate_completions
    results/tables/...                                 <- make_tables
    results/figures/{dataset}/{maskset}.png            <- make_figure
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.data.store import load_info, load_split
from inpaint.errors import InpaintError
from inpaint.io import read_image, write_csv, write_text
from inpaint.masks import load_maskset


def _test_ids(data_dir: str | os.PathLike) -> list[str]:
    ids, _ = load_split(data_dir, "test")
    return ids


def check_completions(data_dir, mask_dir, completion_dir) -> list[str]:
    """Every test image has a completion PNG whose known pixels equal the real image.

    The results contract says completions are composited (x = M y + (1 - M) p);
    a method that changes known pixels would be scored on pixels it was given,
    so this is an error naming the first such file, not a silent fix.
    """
    completion_dir = Path(completion_dir)
    if not completion_dir.is_dir():
        raise InpaintError(f"completions folder not found: {completion_dir}")
    info = load_info(data_dir)
    ids, reals = load_split(data_dir, "test")
    missing = [i for i in ids if not (completion_dir / f"{i}.png").is_file()]
    if missing:
        raise InpaintError(
            f"{completion_dir} lacks completions for {len(missing)} test image(s), "
            f"e.g. {missing[0]}.png"
        )
    known = load_maskset(mask_dir, ids, (info.size, info.size))
    for image_id, real, keep in zip(ids, reals, known, strict=True):
        path = completion_dir / f"{image_id}.png"
        done = read_image(path, channels=info.channels)
        if done.shape != real.shape:
            raise InpaintError(
                f"completion {path} has shape {done.shape}, expected {real.shape}"
            )
        if not np.array_equal(done[keep], real[keep]):
            raise InpaintError(
                f"completion {path} changes known pixels; a method must composite its "
                "output: x = M * y + (1 - M) * prediction (mask 255 = known)"
            )
    return ids


def evaluate_completions(data_dir, mask_dir, completion_dirs, out_paths,
                         use_lpips: bool = True, use_st_lpips: bool = True,
                         pm1_hole: bool = False, *, lpips_weights=None,
                         use_lpips_vgg: bool = False,
                         lpips_vgg_weights=None) -> list[pd.DataFrame]:
    """Score methods' completions of one mask set; write one per-image CSV per method.

    All folders are checked before any CSV is written, and the perceptual
    networks are loaded once for all of them (their import costs seconds).
    ``pm1_hole``: also the hole L1 / L2 on the [-1, 1] scale (inpaint.metrics.add_pm1_hole).
    ``lpips_weights`` / ``lpips_vgg_weights``: the ImageNet AlexNet / VGG16 backbone files
    (default: inpaint.metrics.lpips_weights_path); missing ones are an InpaintError.
    """
    return evaluate_masksets(data_dir, [mask_dir], list(completion_dirs), list(out_paths),
                             use_lpips, use_st_lpips, pm1_hole, lpips_weights=lpips_weights,
                             use_lpips_vgg=use_lpips_vgg, lpips_vgg_weights=lpips_vgg_weights)


def evaluate_masksets(data_dir, mask_dirs, completion_dirs, out_paths,
                      use_lpips: bool = True, use_st_lpips: bool = True,
                      pm1_hole: bool = False, *, lpips_weights=None,
                      use_lpips_vgg: bool = False,
                      lpips_vgg_weights=None) -> list[pd.DataFrame]:
    """:func:`evaluate_completions` for several mask sets of one dataset in one process.

    ``completion_dirs`` and ``out_paths`` come in blocks of equal size, one block per
    mask set in the order of ``mask_dirs`` (mask set 0's methods, then mask set 1's, ...).
    Every folder is checked before any CSV is written; the perceptual networks load once.
    """
    mask_dirs, completion_dirs, out_paths = list(mask_dirs), list(completion_dirs), list(out_paths)
    if len(completion_dirs) != len(out_paths):
        raise InpaintError("evaluate: give one output CSV per completions folder")
    if not mask_dirs or len(completion_dirs) % len(mask_dirs):
        raise InpaintError(f"evaluate: {len(completion_dirs)} completions folders do not split "
                           f"into {len(mask_dirs)} equal blocks, one per mask set")
    per_set = len(completion_dirs) // len(mask_dirs)
    jobs = [(mask_dirs[i // per_set], folder, out)
            for i, (folder, out) in enumerate(zip(completion_dirs, out_paths, strict=True))]
    return _score_jobs(data_dir, jobs, use_lpips, use_st_lpips, pm1_hole,
                       lpips_weights=lpips_weights, use_lpips_vgg=use_lpips_vgg,
                       lpips_vgg_weights=lpips_vgg_weights)


def _score_jobs(data_dir, jobs, use_lpips, use_st_lpips, pm1_hole, *, lpips_weights,
                use_lpips_vgg, lpips_vgg_weights) -> list[pd.DataFrame]:
    """Score (mask folder, completions folder, output CSV) triples; write the CSVs at the end."""
    from inpaint.metrics import add_pm1_hole, load_perceptual, score_files, write_metrics

    ids = [check_completions(data_dir, mask_dir, folder) for mask_dir, folder, _ in jobs]
    models = load_perceptual(use_lpips, use_st_lpips, use_lpips_vgg=use_lpips_vgg,
                             lpips_weights=lpips_weights, lpips_vgg_weights=lpips_vgg_weights)
    frames = [score_files(Path(data_dir) / "test", folder, mask_dir, image_ids, use_lpips,
                          use_st_lpips=use_st_lpips, models=models)
              for (mask_dir, folder, _), image_ids in zip(jobs, ids, strict=True)]
    if pm1_hole:
        frames = [add_pm1_hole(frame) for frame in frames]
    for frame, (_, _, out_path) in zip(frames, jobs, strict=True):
        write_metrics(out_path, frame)
    return frames


SEED_METRICS = ("psnr", "psnr_hole", "ssim", "ssim_hole", "lpips", "st_lpips")


def metric_key(path: str | os.PathLike) -> tuple[str, str, str]:
    """(dataset, maskset, method) of results/metrics/{dataset}/{maskset}/{method}.csv."""
    path = Path(path)
    if path.suffix != ".csv" or len(path.parts) < 3:
        raise InpaintError(
            f"metrics file {path} is not laid out as .../{{dataset}}/{{maskset}}/{{method}}.csv"
        )
    return path.parent.parent.name, path.parent.name, path.stem


def make_tables(metric_paths, out_dir, data_dirs=(), n_boot: int = 1000,
                seed: int = 0, lpips_enabled: bool = True, validation_paths=()) -> None:
    """summary.csv/.md/.tex and by_hole_ratio.csv/.md from per-image metrics CSVs.

    Dataset display labels (e.g. "synthetic faces") come from the prepared
    datasets' info.json in ``data_dirs``. ``validation_paths``
    (results/validation/{dataset}/{method}.csv) choose the paired table's
    baselines and the claims' representatives on the validation split.
    """
    from inpaint.caveats import caveat_notes, notes_markdown
    from inpaint.claims import check_claims, claims_markdown
    from inpaint.htmlpage import markdown_to_html
    from inpaint.loss_notes import loss_term_notes
    from inpaint.metrics import lpips_status, read_metrics
    from inpaint.seeds import collapse_seeds, first_seed_runs, seed_markdown, seed_table
    from inpaint.stats import paired_comparisons, paired_markdown
    from inpaint.tables import by_hole_ratio, summarize, write_tables
    from inpaint.validation import read_validation

    frames = {}
    for path in metric_paths:
        key = metric_key(path)
        if key in frames:
            raise InpaintError(f"metrics for {'/'.join(key)} given twice ({path})")
        frames[key] = read_metrics(path)
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
    caveats = caveat_notes([(d, m) for d, _, m in frames], {i.name: i for i in map(
        load_info, data_dirs)}, Path(next(iter(metric_paths))).resolve().parents[3])
    # rows of methods trained with fewer loss terms than their paper (from model.json)
    caveats += loss_term_notes([(d, m) for d, _, m in frames],
                               Path(next(iter(metric_paths))).resolve().parents[3])
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
    # results/metrics/{dataset}/{maskset}/{method}.csv -> results/
    results_root = Path(next(iter(metric_paths))).resolve().parents[3]
    write_text(Path(out_dir) / "claims.md",
               claims_markdown(check_claims(methods, results_root, first_seed_runs(frames),
                                            validation=validation)))
    if caveats:
        claims_md = Path(out_dir) / "claims.md"
        write_text(claims_md, claims_md.read_text() + notes_markdown(caveats))
    # HTML copies of the markdown pages, for the Snakemake report
    for name in ("summary", "by_hole_ratio", "paired", "claims", "seeds"):
        markdown = (Path(out_dir) / f"{name}.md").read_text()
        write_text(Path(out_dir) / f"{name}.html", markdown_to_html(markdown, name))


def make_figure(data_dir, mask_dir, completion_dirs: dict[str, str | os.PathLike], out_path,
                n_cols: int = 8, title: str | None = None) -> None:
    """Figure grid of the first n_cols test images: real / corrupted / one row per method."""
    from inpaint.figures import figure_grid

    info = load_info(data_dir)
    ids, reals = load_split(data_dir, "test")
    ids, reals = ids[:n_cols], reals[:n_cols]
    known = load_maskset(mask_dir, ids, (info.size, info.size))
    rows = {}
    for label, folder in completion_dirs.items():
        paths = [Path(folder) / f"{image_id}.png" for image_id in ids]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise InpaintError(f"figure: completion {missing[0]} not found")
        rows[label] = np.stack([read_image(p, channels=info.channels) for p in paths])
    title = title or f"{info.label} / {Path(mask_dir).name}"
    figure_grid(reals, known, rows, out_path, title=title, n_cols=n_cols)
