"""``kind: celeba``: real CelebA (aligned), in torchvision's layout, with its download utilities.

Files: ``{root}/celeba/img_align_celeba.zip`` (or the extracted
``img_align_celeba/`` folder) and ``{root}/celeba/list_eval_partition.txt``
(0 train, 1 val, 2 test), checked against the md5s torchvision's CelebA uses.
Images are centre-cropped (``crop`` px, default 178) and resized.
"""

from __future__ import annotations

import shutil
import tempfile
import urllib.error
from pathlib import Path

from PIL import Image

from inpaint.data.common import Cfg, Common, Item, cap, make_split, to_size
from inpaint.data.folder import load_square
from inpaint.data.store import SPLITS
from inpaint.errors import InpaintError
from inpaint.io import open_image, to_channels

DEFAULT_CHANNELS = 3
DEFAULT_LABEL = "CelebA (aligned)"
ZIP, PARTITION = "img_align_celeba.zip", "list_eval_partition.txt"
PARTITIONS = {"0": "train", "1": "val", "2": "test"}


def torchvision_files() -> dict[str, tuple[str, str]]:
    """filename -> (Google Drive id, md5) for the two files we need, from torchvision."""
    from torchvision.datasets import CelebA

    files = {name: (file_id, md5) for file_id, md5, name in CelebA.file_list}
    return {name: files[name] for name in (ZIP, PARTITION)}


def fetch(base: Path, name: str, md5: str, url: str | None, file_id: str) -> None:
    """Download one file into ``base`` (a mirror ``url`` or Google Drive), checked by md5."""
    from torchvision.datasets.utils import download_file_from_google_drive, download_url

    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=base))
    source = f"{url.rstrip('/')}/{name}" if url else f"Google Drive id {file_id}"
    try:
        if url:
            download_url(f"{url.rstrip('/')}/{name}", str(tmp), name, md5)
        else:
            download_file_from_google_drive(file_id, str(tmp), name, md5)
        (tmp / name).replace(base / name)
    except RuntimeError as exc:
        why = "checksum mismatch (md5)" if "corrupted" in str(exc) else str(exc)
        raise InpaintError(f"cannot download {name} from {source}: {why}; expected md5 "
                           f"{md5}") from exc
    except (OSError, urllib.error.URLError, ValueError) as exc:
        raise InpaintError(f"cannot download {name} from {source}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_file(base: Path, name: str, md5: str, cfg: dict, file_id: str) -> Path:
    """Return ``base/name`` after checking its md5, downloading it first if allowed."""
    from torchvision.datasets.utils import calculate_md5

    path = base / name
    if not path.is_file():
        if not cfg["download"]:
            raise InpaintError(
                f"dataset {cfg['name']!r}: CelebA file not found: {path}. Put {name} "
                f"(md5 {md5}, from the CelebA site or torchvision) in {base}/, or set "
                "download: true")
        fetch(base, name, md5, cfg["url"], file_id)
    actual = calculate_md5(path)
    if actual != md5:
        raise InpaintError(f"checksum mismatch for {path}: md5 {actual}, expected {md5}")
    return path


def read_partition(path: Path) -> list[Item]:
    items = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or fields[1] not in PARTITIONS or not fields[0].endswith(".jpg"):
            raise InpaintError(f"{path} line {number}: expected '<image>.jpg <0|1|2>', "
                               f"got {line!r}")
        items.append(Item(fields[0][:-4], f"img_align_celeba/{fields[0]}",
                          PARTITIONS[fields[1]]))
    return items


def load_crop(path: Path, size: int, channels: int, crop: int | None):
    if crop is None:
        return load_square(path, size, channels)
    img = open_image(path)
    w, h = img.size
    if crop > min(w, h):
        raise InpaintError(f"image {path} is {w}x{h}, smaller than crop {crop}")
    arr = to_channels(img, channels, path)
    img = Image.fromarray(arr[:, :, 0] if channels == 1 else arr)
    left, top = (w - crop) // 2, (h - crop) // 2
    return to_size(img.crop((left, top, left + crop, top + crop)), size, channels)


def build(cfg: Cfg, common: Common):
    base = cfg.get_path("root", "resources") / "celeba"
    opts = {"name": common.name, "download": cfg.get_bool("download", False),
            "url": cfg.get_str("url", None, optional=True)}
    md5s = cfg.get("md5", {})
    if not isinstance(md5s, dict) or set(md5s) - {ZIP, PARTITION}:
        raise cfg.error("md5", f"must map {ZIP} and/or {PARTITION} to md5 sums, got {md5s!r}")
    crop = cfg.get_int("crop", 178, minimum=1, optional=True)
    cfg.finish()
    files = torchvision_files()
    md5s = {name: md5s.get(name, md5) for name, (_, md5) in files.items()}

    partition = ensure_file(base, PARTITION, md5s[PARTITION], opts, files[PARTITION][0])
    images_dir = base / "img_align_celeba"
    if not images_dir.is_dir():
        from torchvision.datasets.utils import extract_archive

        archive = ensure_file(base, ZIP, md5s[ZIP], opts, files[ZIP][0])
        tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=base))
        try:
            extract_archive(str(archive), str(tmp))
            if not (tmp / "img_align_celeba").is_dir():
                raise InpaintError(f"archive {archive} has no img_align_celeba/ folder")
            (tmp / "img_align_celeba").replace(images_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    items = read_partition(partition)
    splits = {}
    for split in SPLITS:
        chosen = cap([i for i in items if i.group == split], common, split)
        images = [load_crop(base / item.source, common.size, common.channels, crop)
                  for item in chosen]
        splits[split] = make_split(chosen, images, common)
    return splits, {"root": str(base), "md5": md5s, "crop": crop,
                    "partition": "list_eval_partition.txt (0 train, 1 val, 2 test)"}
