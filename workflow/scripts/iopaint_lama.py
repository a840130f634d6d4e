"""External method: the official big-lama checkpoint run through IOPaint's command line.

Standalone on purpose (numpy + Pillow only, no `inpaint` import), like mean_fill.py.
IOPaint (pip package `iopaint`, tested against 1.6.0) lives in an environment of its own;
this script only calls its command

    iopaint run --model lama --device D --image IMAGES --mask MASKS --output OUT
                --model-dir MODELS

on copies written in the layout IOPaint wants, and turns the results back into the
results contract:

* masks are inverted: ours are 255 = known, IOPaint's 255 = the area to inpaint;
* the hole's pixels are set to 0 in the copies (the method never sees them; LaMa
  zeroes them itself before its network);
* IOPaint reads every image as RGB: a grey dataset's completion is the channel mean;
* the prediction is composited onto the known pixels, x = M * y + (1 - M) * prediction
  (IOPaint returns the network's whole output, known pixels altered);
* one PNG per test image, written to a temporary folder renamed onto --out at the end.

IOPaint looks for the checkpoint at MODELS/torch/hub/checkpoints/big-lama.pt and
downloads it when absent. Here MODELS is a temporary folder holding a link to
--checkpoint, and LAMA_MODEL_URL names that link, so IOPaint never downloads, and its
habit of deleting a checkpoint that fails to load touches the link, not your file.

    python workflow/scripts/iopaint_lama.py --images DIR --masks DIR --out DIR \
        --checkpoint big-lama.pt [--iopaint iopaint] [--device auto|cpu|cuda]
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

# md5 of IOPaint's big-lama.pt (iopaint/model/lama.py, LAMA_MODEL_MD5)
BIG_LAMA_MD5 = "e3aa4aaa15225a33ec84f9f4bc47e500"
INSTALL_HINT = (
    "install IOPaint in an environment of its own (python -m venv iopaint-env; "
    "iopaint-env/bin/pip install iopaint==1.6.0) and name its command with --iopaint "
    "(config: methods.iopaint_lama.command: /path/to/iopaint-env/bin/iopaint)"
)
CHECKPOINT_HINT = (
    "download big-lama.pt (the official LaMa checkpoint as TorchScript, released with "
    "IOPaint; md5 " + BIG_LAMA_MD5 + ") and name it with --checkpoint "
    "(config: methods.iopaint_lama.checkpoint_file)"
)


class Failure(Exception):
    """An error with one message for the user; the script exits 2."""


def missing_tools(iopaint: str, checkpoint: Path) -> tuple[str | None, str | None]:
    """The iopaint command (or None) and a message naming whatever is missing (or None)."""
    command = shutil.which(os.path.expanduser(iopaint))
    missing = []
    if command is None:
        missing.append(f"the IOPaint command {iopaint!r} was not found (not an executable "
                       f"file, nor on PATH): {INSTALL_HINT}")
    if not checkpoint.is_file():
        missing.append(f"the big-lama checkpoint {checkpoint} does not exist: {CHECKPOINT_HINT}")
    if not missing:
        return command, None
    return command, "cannot run IOPaint's LaMa: " + "; and ".join(missing)


def resolve_device(device: str) -> str:
    """auto: cuda where this interpreter's torch sees a GPU, else cpu."""
    if device != "auto":
        return device
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_pair(image_path: Path, mask_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """A test image (H, W) grey or (H, W, 3) RGB and its known mask (H, W) bool."""
    image = np.asarray(Image.open(image_path))
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3
                                                           and image.shape[2] == 3)):
        raise Failure(f"{image_path}: expected an 8-bit grey or RGB PNG, got dtype "
                      f"{image.dtype} shape {image.shape}")
    mask_path = mask_dir / image_path.name
    if not mask_path.is_file():
        raise Failure(f"{mask_path}: no mask for test image {image_path.name}")
    mask = np.asarray(Image.open(mask_path))
    if mask.shape != image.shape[:2]:
        raise Failure(f"{mask_path}: mask of shape {mask.shape} for an image of size "
                      f"{image.shape[:2]}")
    return image, mask == 255


def write_inputs(images: list[Path], mask_dir: Path, work: Path) -> dict:
    """IOPaint's inputs: RGB images with the hole zeroed, masks 255 = inpaint."""
    (work / "image").mkdir()
    (work / "mask").mkdir()
    pairs = {}
    for path in images:
        image, known = read_pair(path, mask_dir)
        pairs[path.name] = image, known
        rgb = np.repeat(image[:, :, None], 3, axis=2) if image.ndim == 2 else image
        rgb = np.where(known[:, :, None], rgb, 0).astype(np.uint8)
        Image.fromarray(rgb).save(work / "image" / path.name)
        Image.fromarray(np.where(known, 0, 255).astype(np.uint8)).save(work / "mask" / path.name)
    return pairs


def model_dir(work: Path, checkpoint: Path) -> tuple[Path, Path]:
    """A model folder in IOPaint's layout holding a link to the checkpoint."""
    models = work / "models"
    link = models / "torch" / "hub" / "checkpoints" / "big-lama.pt"
    link.parent.mkdir(parents=True)
    link.symlink_to(checkpoint.resolve())
    return models, link


def run_iopaint(command: str, device: str, work: Path, checkpoint: Path, threads: int) -> Path:
    models, link = model_dir(work, checkpoint)
    output = work / "output"
    cmd = [command, "run", "--model", "lama", "--device", device,
           "--image", str(work / "image"), "--mask", str(work / "mask"),
           "--output", str(output), "--model-dir", str(models)]
    env = {k: v for k, v in os.environ.items() if k != "TORCH_HOME"}  # hub dir: models/torch
    env.update(LAMA_MODEL_URL=str(link), HF_HUB_OFFLINE="1",
               OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    print("running:", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, env=env, check=False)
    if result.returncode != 0:
        raise Failure(f"{command} run --model lama failed (exit status {result.returncode}); "
                      "its messages are above")
    return output


def complete(image: np.ndarray, known: np.ndarray, result_path: Path) -> np.ndarray:
    """IOPaint's RGB result, in the image's channels, composited onto the known pixels."""
    if not result_path.is_file():
        raise Failure(f"IOPaint wrote no result {result_path.name} "
                      f"(expected in {result_path.parent})")
    pred = np.asarray(Image.open(result_path).convert("RGB"))
    if pred.shape[:2] != image.shape[:2]:
        raise Failure(f"{result_path.name}: IOPaint's result is {pred.shape[:2]}, the image "
                      f"{image.shape[:2]}")
    if image.ndim == 2:
        pred = np.round(pred.astype(np.float64).mean(axis=2)).astype(np.uint8)
    mask = known if image.ndim == 2 else known[:, :, None]
    return np.where(mask, image, pred).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", required=True, help="folder of {image_id}.png")
    parser.add_argument("--masks", required=True, help="folder of {image_id}.png, 255 known")
    parser.add_argument("--out", required=True)
    parser.add_argument("--checkpoint", required=True, help="IOPaint's big-lama.pt")
    parser.add_argument("--iopaint", default="iopaint", help="IOPaint's command (default: "
                        "iopaint on PATH)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        run(args)
    except Failure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def run(args: argparse.Namespace) -> None:
    checkpoint = Path(args.checkpoint).expanduser()
    command, missing = missing_tools(args.iopaint, checkpoint)
    if missing:
        raise Failure(missing)
    images = sorted(Path(args.images).glob("*.png"))
    if not images:
        raise Failure(f"no PNG images in {args.images}")
    device = resolve_device(args.device)
    md5 = md5sum(checkpoint)
    note = "IOPaint's big-lama" if md5 == BIG_LAMA_MD5 else f"not IOPaint's {BIG_LAMA_MD5}"
    print(f"iopaint_lama: {command}, device {device}, checkpoint {checkpoint} (md5 {md5}: "
          f"{note})", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with tempfile.TemporaryDirectory(prefix="iopaint_lama.") as work_dir:
            work = Path(work_dir)
            pairs = write_inputs(images, Path(args.masks), work)
            output = run_iopaint(command, device, work, checkpoint, args.threads)
            for name, (image, known) in pairs.items():
                Image.fromarray(complete(image, known, output / name)).save(tmp / name)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"iopaint_lama: {len(images)} images -> {out}")


if __name__ == "__main__":
    raise SystemExit(main())
