"""``kind: chars74k``: the official Chars74K EnglishFnt archive (characters from computer fonts).

Layout: ``{root}/chars74k/EnglishFnt.tgz`` and, once extracted,
``{root}/chars74k/English/Fnt/Sample001..Sample062/img001-00001.png`` (128x128
grey; Sample001-010 = 0-9, 011-036 = A-Z, 037-062 = a-z; the number after the
dash is the font). Splits are by font.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import warnings
from pathlib import Path

from inpaint.data.common import CHARS, Cfg, Common, Item, assign_splits, char_tag, make_split
from inpaint.data.download import download, extract_tar
from inpaint.data.folder import load_square
from inpaint.data.store import SPLITS
from inpaint.errors import InpaintError
from inpaint.io import sha256_file

DEFAULT_CHANNELS = 1
DEFAULT_LABEL = "characters (Chars74K EnglishFnt)"
DEFAULT_URL = "http://www.ee.surrey.ac.uk/CVSSP/demos/chars74k/EnglishFnt.tgz"
ARCHIVE = "EnglishFnt.tgz"
_FILE = re.compile(r"^img(\d{3})-(\d+)\.png$")


def ensure_extracted(base: Path, url: str, sha256: str | None, allow_download: bool,
                     name: str) -> dict:
    """Make sure ``base/English/Fnt`` exists (downloading/extracting as needed).

    The archive, when present, is hashed every time so that info.json records the
    same provenance whether or not this run extracted it.
    """
    fnt = base / "English" / "Fnt"
    archive = base / ARCHIVE
    if not archive.is_file() and not fnt.is_dir():
        if not allow_download:
            raise InpaintError(
                f"dataset {name!r}: Chars74K not found. Put {ARCHIVE} (from {url}) at {archive} "
                f"or its extracted English/Fnt folder at {fnt}, or set download: true")
        download(url, archive, sha256)
    if not archive.is_file():
        return {"archive": None, "sha256": None, "sha256_verified": False}
    digest = sha256_file(archive)
    if sha256 is None:
        warnings.warn(f"dataset {name!r}: no sha256 configured for {archive}; its sha256 is "
                      f"{digest} (recorded in info.json; add it as sha256: to pin it)",
                      stacklevel=2)
    elif digest != sha256.lower():
        raise InpaintError(f"checksum mismatch for {archive}: sha256 {digest}, expected {sha256} "
                           "(key sha256); delete the file or fix the key")
    if not fnt.is_dir():
        tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=base))
        try:
            extract_tar(archive, tmp)
            if not (tmp / "English" / "Fnt").is_dir():
                raise InpaintError(f"archive {archive} has no English/Fnt folder")
            fnt.parent.mkdir(exist_ok=True)
            (tmp / "English" / "Fnt").replace(fnt)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return {"archive": ARCHIVE, "sha256": digest, "sha256_verified": sha256 is not None}


def scan(fnt: Path) -> list[Item]:
    """One item per PNG: id fnt{font}_{char}, group = font index."""
    items = []
    for k, ch in enumerate(CHARS, start=1):
        folder = fnt / f"Sample{k:03d}"
        if not folder.is_dir():
            raise InpaintError(f"Chars74K folder missing: {folder}")
        for path in sorted(folder.iterdir()):
            match = _FILE.match(path.name)
            if match and int(match.group(1)) == k:
                font = int(match.group(2))
                items.append(Item(f"fnt{font:05d}_{char_tag(ch)}", f"{folder.name}/{path.name}",
                                  f"{font:05d}"))
    return items


def build(cfg: Cfg, common: Common):
    base = cfg.get_path("root", "resources") / "chars74k"
    allow_download = cfg.get_bool("download", False)
    url = cfg.get_str("url", DEFAULT_URL)
    sha256 = cfg.get_str("sha256", None, optional=True)
    val_fraction = cfg.get_float("val_fraction", 0.1)
    test_fraction = cfg.get_float("test_fraction", 0.1)
    cfg.finish()
    provenance = {"url": url, **ensure_extracted(base, url, sha256, allow_download, common.name)}
    fnt = base / "English" / "Fnt"
    by_split, font_split = assign_splits(scan(fnt), common, val_fraction, test_fraction, "fonts")
    splits = {}
    for split in SPLITS:
        images = [load_square(fnt / item.source, common.size, common.channels)
                  for item in by_split[split]]
        splits[split] = make_split(by_split[split], images, common)
    provenance["fonts_per_split"] = {s: sum(v == s for v in font_split.values()) for s in SPLITS}
    return splits, provenance
