"""A benchmark folder another lab can verify and score against (issue 19, item 4).

``results/benchmark/{dataset}/`` is self-contained and can be copied anywhere::

    manifest.csv                 one row per file below (paths relative to this folder)
    data/info.json               the prepared dataset's info (size, channels, label)
    data/test.npz                the test images (uint8 arrays, ids), as in results/data
    data/test/{image_id}.png     every test image
    masks/{maskset}/{image_id}.png   one mask per test image (255 known / 0 hole)
    masks/{maskset}/manifest.csv     the mask set's own manifest (image_id, hole_ratio, ...)

``data/`` is a valid ``--data`` folder and ``masks/{maskset}`` a valid ``--masks``
folder of ``inpaint evaluate``, so a researcher scores their own completions with
``inpaint evaluate --data DIR/data --masks DIR/masks/{maskset} --completions ... --out ...``
and nothing else of the workflow.

manifest.csv columns: file, kind (info | test_npz | image | mask | mask_manifest),
image_id, maskset, sha256 (of the file's bytes), pixel_sha256 (of the uint8 pixel
bytes H x W x C, as results/data/{dataset}/manifest.csv; for test_npz the hash of all
test images' pixel bytes in id order, since an .npz file's bytes carry zip timestamps),
hole_ratio (masks), generator (the mask kind), params (the mask set's full parameters
as sorted JSON), seed and version (inpaint.__version__). The same config gives a
byte-identical manifest; ``verify_benchmark`` recomputes every hash and hole ratio and
names the first difference.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from inpaint import __version__
from inpaint.data.store import load_info, load_split, pixel_sha256
from inpaint.errors import InpaintError
from inpaint.io import atomic_dir, read_image, read_mask, sha256_file
from inpaint.masks import check_params

COLUMNS = ["file", "kind", "image_id", "maskset", "sha256", "pixel_sha256", "hole_ratio",
           "generator", "params", "seed", "version"]


def _row(file: str, kind: str, **values) -> dict:
    return {"file": file, "kind": kind, **values}


def _manifest_rows(root: Path, ids: list[str], images: np.ndarray, masksets: dict[str, dict],
                   seed: int) -> list[dict]:
    rows = [_row("data/info.json", "info", sha256=sha256_file(root / "data/info.json")),
            _row("data/test.npz", "test_npz", pixel_sha256=pixel_sha256(images))]
    for image_id, image in zip(ids, images, strict=True):
        file = f"data/test/{image_id}.png"
        rows.append(_row(file, "image", image_id=image_id, sha256=sha256_file(root / file),
                         pixel_sha256=pixel_sha256(image)))
    for maskset, params in masksets.items():
        common = {"maskset": maskset, "generator": params["kind"],
                  "params": json.dumps(params, sort_keys=True), "seed": seed}
        file = f"masks/{maskset}/manifest.csv"
        rows.append(_row(file, "mask_manifest", sha256=sha256_file(root / file), **common))
        for image_id in ids:
            file = f"masks/{maskset}/{image_id}.png"
            known = read_mask(root / file, images.shape[1:3])
            rows.append(_row(file, "mask", image_id=image_id, sha256=sha256_file(root / file),
                             hole_ratio=float(1.0 - known.mean()), **common))
    return [{**r, "version": __version__} for r in rows]


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["seed"] = frame["seed"].astype("Int64")
    return frame


def build_benchmark(data_dir, mask_dirs: dict[str, str | os.PathLike], mask_params: dict,
                    seed: int, out_dir) -> pd.DataFrame:
    """Copy the test images and every mask set into ``out_dir`` with manifest.csv, atomically.

    ``mask_dirs``: maskset name -> results/masks/{dataset}/{maskset}; ``mask_params``:
    maskset name -> its config block (checked and expanded to its full parameters)."""
    data_dir = Path(data_dir)
    load_info(data_dir)
    ids, images = load_split(data_dir, "test")
    missing = sorted(set(mask_dirs) - set(mask_params))
    if missing:
        raise InpaintError(f"benchmark: no config block for mask set(s) {missing}")
    params = {m: check_params(m, mask_params[m]) for m in sorted(mask_dirs)}
    with atomic_dir(out_dir) as tmp:
        (tmp / "data/test").mkdir(parents=True)
        shutil.copyfile(data_dir / "info.json", tmp / "data/info.json")
        shutil.copyfile(data_dir / "test.npz", tmp / "data/test.npz")
        for image_id in ids:
            src = data_dir / "test" / f"{image_id}.png"
            if not src.is_file():
                raise InpaintError(f"prepared dataset {data_dir} lacks test image {src}")
            shutil.copyfile(src, tmp / "data/test" / src.name)
        for maskset in params:
            src_dir = Path(mask_dirs[maskset])
            dst_dir = tmp / "masks" / maskset
            dst_dir.mkdir(parents=True)
            for name in ["manifest.csv", *(f"{i}.png" for i in ids)]:
                if not (src_dir / name).is_file():
                    raise InpaintError(f"mask set {src_dir} lacks {name}")
                shutil.copyfile(src_dir / name, dst_dir / name)
        frame = _frame(_manifest_rows(tmp, ids, images, params, seed))
        frame.to_csv(tmp / "manifest.csv", index=False)
    return frame


def _expected(value) -> str:
    return "" if pd.isna(value) else str(value)


def verify_benchmark(bench_dir) -> int:
    """Recompute every hash and hole ratio named in ``bench_dir``/manifest.csv.

    Returns the number of rows checked; raises InpaintError naming the first
    difference (file, column, expected vs found) or the first missing file."""
    bench_dir = Path(bench_dir)
    manifest_path = bench_dir / "manifest.csv"
    if not manifest_path.is_file():
        raise InpaintError(f"not a benchmark folder (no manifest.csv): {bench_dir}")
    try:
        manifest = pd.read_csv(manifest_path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InpaintError(f"{manifest_path} is not a readable CSV ({exc})") from None
    absent = [c for c in COLUMNS if c not in manifest.columns]
    if absent:
        raise InpaintError(f"{manifest_path} lacks column(s) {absent}")

    def differ(file, column, expected, found):
        raise InpaintError(f"{bench_dir / file}: {column} differs: expected {expected}, "
                           f"found {found}")

    npz = None
    for row in manifest.itertuples(index=False):
        path = bench_dir / row.file
        if not path.is_file():
            raise InpaintError(f"{path}: missing (named in {manifest_path})")
        if row.kind == "test_npz":
            try:
                with np.load(path, allow_pickle=False) as packed:
                    npz = ([str(i) for i in packed["ids"]], packed["images"])
            except (OSError, ValueError, KeyError) as exc:
                raise InpaintError(f"{path}: not a readable test.npz ({exc})") from None
            found = pixel_sha256(npz[1])
            if found != row.pixel_sha256:
                differ(row.file, "pixel_sha256", row.pixel_sha256, found)
            continue
        found = sha256_file(path)
        if found != row.sha256:
            differ(row.file, "sha256", row.sha256, found)
        if row.kind == "image":
            if npz is None or row.image_id not in npz[0]:
                differ("data/test.npz", "ids", f"image {row.image_id}", "none")
            found = pixel_sha256(npz[1][npz[0].index(row.image_id)])
            if found != row.pixel_sha256:
                differ("data/test.npz", f"pixel_sha256 of {row.image_id}", row.pixel_sha256,
                       found)
            found = pixel_sha256(read_image(path, channels=npz[1].shape[3]))
            if found != row.pixel_sha256:
                differ(row.file, "pixel_sha256", row.pixel_sha256, found)
        elif row.kind == "mask":
            known = read_mask(path)
            found = repr(float(1.0 - known.mean()))
            if float(found) != float(row.hole_ratio):
                differ(row.file, "hole_ratio", row.hole_ratio, found)
        elif row.kind not in ("info", "mask_manifest"):
            raise InpaintError(f"{manifest_path}: unknown kind {row.kind!r} for {row.file}")
    return len(manifest)
