"""Measurement (not a test): glcic's classical band on the VALIDATION split.

For each dataset, a trained glcic model is scored (inpaint.evaluation.validation, the
"val-" mask sets, never the test masks) with the post-processing band at
``--bands`` (px at 256 px, scaled by side / 256: at 32 px 3 -> 0.375 px, i.e. no
pixel; 8 -> 1 px, the former default; 16 -> 2 px; 24 -> 3 px), beside glcic_raw
and a plain Telea fill (radius 1, the post-processing's classical fill alone).
It also prints, per mask set, the mean fraction of hole pixels that keep the
classical fill (inpaint.methods.glcic.classical_fraction).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/glcic_band.py \\
        --data results/data/faces results/data/chars \\
        --models results/models/faces/glcic results/models/chars/glcic
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from inpaint.data.store import load_info, load_split
from inpaint.evaluation.validation import DEFAULT_MASKSETS, validation_scores
from inpaint.masks import generate_maskset
from inpaint.methods import get_method
from inpaint.methods.glcic import classical_fraction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", required=True)
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--bands", nargs="+", type=float, default=[3.0, 8.0, 16.0, 24.0])
    parser.add_argument("--n", type=int, default=256, help="validation images per dataset")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for data, model in zip(args.data, args.models, strict=True):
        info = load_info(data)
        ids = load_split(data, "val")[0][:args.n]
        for name, params in DEFAULT_MASKSETS.items():
            masks = generate_maskset(ids, info.size, info.name, f"val-{name}", params, args.seed)
            known = np.stack([masks[i] for i in ids])
            for band in args.bands:
                rows.append({"dataset": info.name, "maskset": name, "variant": f"band {band:g}",
                             "metric": "classical_fraction",
                             "value": float(np.nanmean(classical_fraction(known, band)))})
        variants = {"glcic_raw": get_method("glcic_raw")}
        variants.update({f"band {b:g}": get_method("glcic", classical_band=b) for b in args.bands})
        variants["telea r1"] = get_method("telea", radius=1)
        for key, method in variants.items():
            if method.learned:
                method.load(model, device="cpu")
            scores = validation_scores(method, data, seed=args.seed, n=args.n)
            for _, r in scores.iterrows():
                for metric in ("psnr_hole", "ssim_hole"):
                    rows.append({"dataset": info.name, "maskset": r["maskset"], "variant": key,
                                 "metric": metric, "value": r[metric]})
    frame = pd.DataFrame(rows)
    for metric in ("psnr_hole", "ssim_hole", "classical_fraction"):
        table = frame[frame.metric == metric].pivot_table(
            index="variant", columns=["dataset", "maskset"], values="value")
        table[("mean", "")] = table.mean(axis=1)
        print(f"\n{metric} (validation split)\n")
        print(table.round(3 if metric != "psnr_hole" else 2).to_markdown())


if __name__ == "__main__":
    main()
