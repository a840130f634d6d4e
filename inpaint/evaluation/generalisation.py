"""results/tables/generalisation.{csv,md,html}: does a learned method generalise to masks
it did not see?

The config's optional ``generalisation`` block trains each listed method once more per
``train_on`` mask set, on that mask set's block alone (run ``{method}.on-{maskset}``,
:mod:`inpaint.runs`), and completes and scores every configured mask set with it. This
table crosses, per dataset and method:

* rows, what the model was trained on: each ``train_on`` mask set, then the method's
  configured run on its training-mask mixture (:data:`MIXTURE`) as the reference;
* columns, the mask set it was tested on (every configured one);
* cells, the mean over the test images of hole PSNR (every PSNR clipped at
  :data:`~inpaint.evaluation.summary.PSNR_CAP` first, as in the summary) and, where it
  was scored, of LPIPS.

A cell is *seen* when the tested mask set's block (kind and every parameter, defaults
filled) is one of the blocks in the run's model.json ``hparams.train_masks``: the
diagonal of the ``train_on`` rows, and in the reference row the mask sets its mixture
holds. The generalisation runs appear only here, never in the summary, paired, claims
or figure outputs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint.errors import InpaintError
from inpaint.evaluation.htmlpage import markdown_to_html
from inpaint.evaluation.metrics_csv import metric_key, read_metrics
from inpaint.evaluation.summary import PSNR_CAP
from inpaint.io import read_json, write_csv, write_text
from inpaint.runs import split_run, split_train_on, with_method

# trained_on of the reference row (a mask-set name is an identifier, so never this)
MIXTURE = "(mixture)"
COLUMNS = ["dataset", "method", "trained_on", "run", "training_masks", "tested_on", "n",
           "psnr_hole_mean", "lpips_mean", "seen"]
TITLE = "Generalisation: trained on one mask set, tested on each"


def _without_weight(block: Mapping) -> dict:
    return {k: v for k, v in block.items() if k != "weight"}


def training_blocks(model_json: str | os.PathLike) -> list[dict]:
    """The training-mask blocks a model was trained on (weights dropped), from model.json."""
    record = read_json(model_json, "model record")
    blocks = (record.get("hparams") or {}).get("train_masks")
    if not isinstance(blocks, list) or not blocks:
        raise InpaintError(f"{model_json}: hparams.train_masks is missing: not a model "
                           "trained on a training-mask mixture")
    return [dict(b) for b in blocks]


def _describe(blocks: Sequence[Mapping]) -> str:
    from inpaint.masks.mixture import describe_mixture

    return describe_mixture(blocks)


def _mean(frame: pd.DataFrame, column: str) -> float:
    if column not in frame.columns:
        return math.nan
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    if column.startswith("psnr"):
        values = np.minimum(values, PSNR_CAP)
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else math.nan


def _models_by_run(model_paths: Sequence[str | os.PathLike]) -> dict[tuple[str, str], Path]:
    """results/models/{dataset}/{run}/model.json by (dataset, run)."""
    out = {}
    for path in map(Path, model_paths):
        if path.name != "model.json" or len(path.parts) < 3:
            raise InpaintError(f"model record {path} is not laid out as "
                               ".../{dataset}/{run}/model.json")
        out[(path.parent.parent.name, path.parent.name)] = path
    return out


def generalisation_table(metric_paths: Sequence[str | os.PathLike],
                         model_paths: Sequence[str | os.PathLike],
                         masksets: Mapping[str, Mapping]) -> pd.DataFrame:
    """One row per (dataset, method, trained_on, tested_on) in :data:`COLUMNS`, from the
    per-image metrics of the generalisation runs and of the methods' configured runs.

    ``masksets``: the config's ``masks`` blocks (the tested mask sets' parameters);
    ``model_paths``: the model.json of every run's model owner (what it was trained on)."""
    from inpaint.masks import check_params
    from inpaint.methods import get_method_class

    models = _models_by_run(model_paths)
    tested_blocks: dict[str, dict] = {}
    rows = []
    for path in metric_paths:
        dataset, tested_on, run = metric_key(path)
        if tested_on not in masksets:
            raise InpaintError(f"metrics file {path}: mask set {tested_on!r} is not among "
                               f"the configured ones ({', '.join(masksets)})")
        if tested_on not in tested_blocks:
            tested_blocks[tested_on] = check_params(tested_on, dict(masksets[tested_on]))
        base, trained_on = split_train_on(run)
        method = split_run(base)[0]
        owner = with_method(run, get_method_class(method).model_owner())
        if (dataset, owner) not in models:
            raise InpaintError(f"metrics file {path}: no model record "
                               f"results/models/{dataset}/{owner}/model.json given for it")
        trained = [_without_weight(b) for b in training_blocks(models[(dataset, owner)])]
        frame = read_metrics(path)
        rows.append({
            "dataset": dataset, "method": method,
            "trained_on": MIXTURE if trained_on is None else trained_on, "run": run,
            "training_masks": _describe(training_blocks(models[(dataset, owner)])),
            "tested_on": tested_on, "n": len(frame),
            "psnr_hole_mean": _mean(frame, "psnr_hole"), "lpips_mean": _mean(frame, "lpips"),
            "seen": tested_blocks[tested_on] in trained,
        })
    if not rows:
        raise InpaintError("generalisation table: no metrics files given")
    table = pd.DataFrame(rows, columns=COLUMNS)
    duplicated = table.duplicated(["dataset", "method", "trained_on", "tested_on"])
    if duplicated.any():
        first = table[duplicated].iloc[0]
        raise InpaintError(f"generalisation table: {first.run} on {first.dataset} / "
                           f"{first.tested_on} given twice")
    return _ordered(table)


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    """Datasets, methods and tested mask sets in order of first appearance; trained-on
    rows in order of first appearance with the reference (mixture) row last."""
    def order(column: str, last: str | None = None) -> dict[str, int]:
        seen = list(dict.fromkeys(table[column]))
        if last in seen:
            seen = [s for s in seen if s != last] + [last]
        return {v: i for i, v in enumerate(seen)}

    keys = {c: order(c, MIXTURE if c == "trained_on" else None)
            for c in ("dataset", "method", "trained_on", "tested_on")}
    sort = pd.DataFrame({c: table[c].map(k) for c, k in keys.items()})
    return table.loc[sort.sort_values(list(keys), kind="stable").index].reset_index(drop=True)


def _cell(value: float, seen: bool, digits: int) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.{digits}f}" + (" (seen)" if seen else "")


def _matrix(group: pd.DataFrame, column: str, digits: int) -> list[str]:
    tested = list(dict.fromkeys(group["tested_on"]))
    lines = ["| trained on \\ tested on | " + " | ".join(tested) + " | mean unseen |",
             "|:--|" + "--:|" * (len(tested) + 1)]
    for trained_on, row in group.groupby("trained_on", sort=False):
        cells = {r.tested_on: (r[column], bool(r.seen)) for _, r in row.iterrows()}
        unseen = [v for v, s in cells.values() if not s and not math.isnan(v)]
        label = f"mixture ({row.training_masks.iloc[0]})" if trained_on == MIXTURE \
            else trained_on
        values = [_cell(*cells[t], digits) if t in cells else "-" for t in tested]
        mean = f"{np.mean(unseen):.{digits}f}" if unseen else "-"
        lines.append(f"| {label} | " + " | ".join(values) + f" | {mean} |")
    return lines


NOTES = (
    "Rows: what the model was trained on. A mask-set row is the method's configured run "
    "with `train_masks` replaced by that mask set's block alone (same kind and parameters "
    "as the evaluation's set, drawn from the method's own training seed stream, never the "
    "evaluation's masks; same seed, steps and everything else); the mixture row is the "
    "configured run itself, the reference.",
    "(seen): the tested mask set's block (kind and every parameter) is one the model was "
    "trained on (its model.json hparams.train_masks): the diagonal, and the mask sets in "
    "the reference's mixture. `mean unseen`: the mean of the row's other cells.",
    f"Hole PSNR: mean over the test images, each PSNR clipped at {PSNR_CAP:g} dB first (as "
    "in summary.md). LPIPS: AlexNet v0.1, lower is better.",
    "Each cell is one training run at one seed: between two seeds a method's hole PSNR "
    "moved by up to 1.3 dB in docs/results.md, so read small gaps with care.",
)


def generalisation_markdown(table: pd.DataFrame) -> str:
    lines = [f"# {TITLE}", ""]
    has_lpips = table["lpips_mean"].notna().any()
    for (dataset, method), group in table.groupby(["dataset", "method"], sort=False):
        lines += [f"## {dataset}: {method}", "", "Hole PSNR (dB, higher is better)", "",
                  *_matrix(group, "psnr_hole_mean", 2), ""]
        if has_lpips:
            lines += ["LPIPS (lower is better)", "", *_matrix(group, "lpips_mean", 4), ""]
    notes = [f"{i}. {note}" for i, note in enumerate(NOTES, 1)]
    return "\n".join([*lines, "Notes:", "", *notes]) + "\n"


def write_generalisation_tables(metric_paths: Sequence[str | os.PathLike],
                                model_paths: Sequence[str | os.PathLike],
                                masksets: Mapping[str, Mapping],
                                out_dir: str | os.PathLike) -> pd.DataFrame:
    """Write generalisation.csv / .md / .html into ``out_dir`` (atomically, after all reads)."""
    table = generalisation_table(metric_paths, model_paths, masksets)
    markdown = generalisation_markdown(table)
    out = Path(out_dir)
    write_csv(out / "generalisation.csv", table)
    write_text(out / "generalisation.md", markdown)
    write_text(out / "generalisation.html", markdown_to_html(markdown, TITLE))
    return table
