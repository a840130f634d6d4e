"""CPU time per image of classical methods on prepared test images x the default mask sets.

    .venv/bin/python benchmarks/classical_times.py results/data 64 telea,shiftmap,fsr

Arguments: a folder holding prepared ``chars`` and ``faces`` datasets, the number of
test images per dataset, and methods (``fsr:best`` picks a quality). Masks are the
default config's center/box/irregular/pixels at seed 0. Time is the process's CPU
time (time.process_time) with OpenCV at 1 thread, so other load on the machine
changes it little; the last column scales the mean to 2 datasets x 4 mask sets x 64.
"""

import sys
import time

import cv2
import numpy as np

from inpaint.data.store import load_info, load_split
from inpaint.masks import generate_maskset
from inpaint.methods import complete_batch, get_method

KINDS = ["center", "box", "irregular", "pixels"]


def main(root: str, n: int, methods: list[str]) -> None:
    cv2.setNumThreads(1)
    times = {}
    for dataset in ["chars", "faces"]:
        info = load_info(f"{root}/{dataset}")
        ids, images = load_split(f"{root}/{dataset}", "test")
        ids, images = ids[:n], images[:n]
        for kind in KINDS:
            masks = generate_maskset(ids, info.size, dataset, kind, {"kind": kind}, 0)
            known = np.stack([masks[i] for i in ids])
            for spec in methods:
                name, _, quality = spec.partition(":")
                method = get_method(name, **({"quality": quality} if quality else {}))
                start = time.process_time()
                complete_batch(method, images, known)
                times[(dataset, kind, spec)] = (time.process_time() - start) / len(ids)
    for spec in methods:
        per = {k: v for k, v in times.items() if k[2] == spec}
        cells = " ".join(f"{d}/{k}:{v * 1000:.1f}ms" for (d, k, _), v in per.items())
        mean = float(np.mean(list(per.values())))
        print(f"{spec} size {info.size} {cells} | mean {mean * 1000:.1f} ms/img, "
              f"2x4x64 images: {mean * 512:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","))
