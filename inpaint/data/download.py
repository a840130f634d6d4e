"""Streaming downloads and safe tar extraction for the real-dataset loaders."""

from __future__ import annotations

import http.client
import shutil
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

from inpaint.errors import InpaintError
from inpaint.io import atomic_path, sha256_file


def download(url: str, dest: Path, sha256: str | None = None, timeout: float = 60.0) -> str:
    """Stream ``url`` to ``dest`` through a temporary sibling; return the file's sha256.

    With ``sha256`` given, a mismatching download is discarded and InpaintError raised.
    """
    print(f"downloading {url} -> {dest}", file=sys.stderr)
    request = urllib.request.Request(url, headers={"User-Agent": "inpaint"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, \
                atomic_path(dest) as tmp:
            with open(tmp, "wb") as handle:
                shutil.copyfileobj(response, handle, 1 << 20)
            digest = sha256_file(tmp)
            if sha256 is not None and digest != sha256.lower():
                raise InpaintError(f"checksum mismatch for {dest.name} downloaded from {url}: "
                                   f"sha256 {digest}, expected {sha256}")
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise InpaintError(f"cannot download {url} to {dest}: {exc}") from exc
    return digest


def extract_tar(archive: Path, dest: Path) -> None:
    """Extract the regular files and folders of ``archive`` into ``dest``.

    Members with absolute paths, ``..``, links or device files are rejected (the
    whole archive is refused, naming the member) before anything is written.
    """
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                parts = PurePosixPath(member.name).parts
                if member.name.startswith(("/", "\\")) or ".." in parts or not (
                        member.isfile() or member.isdir()):
                    raise InpaintError(f"archive {archive} has an unsafe member {member.name!r} "
                                       "(absolute path, '..', link or device); not extracting it")
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(dest, members=members, **kwargs)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InpaintError(f"cannot extract {archive}: {exc}") from exc
