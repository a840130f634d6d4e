"""Example external method: fill each hole with the mean of the image's known pixels.

Standalone on purpose (numpy + Pillow only, no `inpaint` import): it stands for
a method written anywhere else. It follows the results contract: one PNG per
test image, known pixels untouched (x = M * y + (1 - M) * prediction), written
to a temporary folder that is renamed onto --out when complete.

    python workflow/scripts/mean_fill.py --images DIR --masks DIR --out DIR
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", required=True, help="folder of {image_id}.png")
    parser.add_argument("--masks", required=True, help="folder of {image_id}.png, 255 known")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    images = sorted(Path(args.images).glob("*.png"))
    if not images:
        print(f"error: no PNG images in {args.images}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for path in images:
            image = np.asarray(Image.open(path))
            known = np.asarray(Image.open(Path(args.masks) / path.name)) == 255
            filled = image.copy()
            if known.any():
                filled[~known] = np.round(image[known].mean(axis=0)).astype(np.uint8)
            Image.fromarray(filled).save(tmp / path.name)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"mean_fill: {len(images)} images -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
