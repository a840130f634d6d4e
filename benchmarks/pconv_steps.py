"""Measurement (not a test): pconv's hole PSNR against its training steps, and their CPU cost.

For each dataset and step count, pconv is trained (``python -m inpaint train``, a child
process, seed 0, 1 thread; config.yaml's pconv block with ``steps`` replaced) with the
paper's full loss (the default: VGG16 perceptual + style terms, fine-tuning for the last
third) and, with ``--three-terms``, with the 3-term loss (valid + hole + TV: no VGG terms,
no fine-tuning) at those step counts. Each training's CPU seconds (user + system of the
child, from its rusage) are measured; each model is then scored on the VALIDATION split
(all of its images, the config's irregular mask generator seeded under ``val-irregular``:
the masks of the workflow's validate rule, inpaint.evaluation.validation). The table gives
the means over images of hole PSNR (capped at 100 dB), hole SSIM and whole-image SSIM.

``--train-masks irregular`` trains on irregular strokes only (the protocol of the
side-by-side table in docs/results.md, "PConv's loss", measured before the issue-16
training-mask mixture); the default is the config's mixture.

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python benchmarks/pconv_steps.py \\
        results/data --datasets chars faces --steps 200 600 1200 --three-terms 1000

Models go to ``--out`` (default results/benchmarks/pconv_steps/...); a model folder that
already holds a finished training (its ``cpu.json``) is scored again, not retrained, so
an interrupted run resumes and two runs (e.g. one per dataset) can share the folder.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from inpaint.evaluation.validation import validation_scores
from inpaint.methods import get_method

THREE_TERMS = {"perceptual": False, "finetune_steps": 0}


def train(data: Path, params: dict, model: Path, seed: int) -> float:
    """CPU seconds of one ``inpaint train`` child (cached in ``model``/cpu.json)."""
    record = model / "cpu.json"
    if record.is_file():
        return float(json.loads(record.read_text())["cpu_s"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "inpaint", "train", "--data", str(data),
                    "--method", "pconv", "--params", json.dumps(params), "--seed", str(seed),
                    "--threads", "1", "--device", "cpu", "--out", str(model)],
                   check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    record.write_text(json.dumps({"cpu_s": cpu, "params": params}) + "\n")
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets_dir", type=Path, help="prepared datasets (results/data)")
    parser.add_argument("--datasets", nargs="+", default=["chars", "faces"])
    parser.add_argument("--steps", nargs="*", type=int, default=[200, 600, 1200],
                        help="step counts with the full paper loss (none: --steps alone)")
    parser.add_argument("--three-terms", nargs="*", type=int, default=[],
                        help="step counts with the 3-term loss (none by default)")
    parser.add_argument("--train-masks", choices=["config", "irregular"], default="config")
    parser.add_argument("--config", type=Path, default=Path("config.yaml"))
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/pconv_steps"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = yaml.safe_load(args.config.read_text())
    base = dict(config["methods"].get("pconv") or {})
    if args.train_masks == "irregular":
        base["train_masks"] = [{"kind": "irregular"}]
    masksets = {"irregular": config["masks"]["irregular"]}
    runs = [("full", s, {}) for s in args.steps]
    runs += [("3 terms", s, THREE_TERMS) for s in args.three_terms]
    rows = []
    for dataset in args.datasets:
        data = args.datasets_dir / dataset
        for loss, steps, extra in runs:
            params = {**base, **extra, "steps": steps}
            tag = f"{'full' if loss == 'full' else '3terms'}-{steps}-{args.train_masks}"
            model = args.out / dataset / tag
            cpu = train(data, params, model, args.seed)
            method = get_method("pconv", **params)
            method.load(model, device="cpu")
            score = validation_scores(method, data, masksets, seed=args.seed, n=None).iloc[0]
            rows.append({"loss": loss, "steps": steps, "train masks": args.train_masks,
                         "dataset": dataset, "CPU-s": round(cpu, 1),
                         "CPU-s/step": round(cpu / steps, 3), "n": int(score["n"]),
                         "hole PSNR": round(score["psnr_hole"], 2),
                         "hole SSIM": round(score["ssim_hole"], 3),
                         "SSIM": round(score["ssim"], 3)})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
