"""Paths named in a config, checked against the project folder."""

from __future__ import annotations

import os
from pathlib import Path

from inpaint.errors import InpaintError


def project_path(value: str | os.PathLike, what: str) -> Path:
    """A path from a config, checked: it stays inside the project unless given on purpose.

    Absolute paths (and ``~/...``) are taken as given: that is how a user points at
    data elsewhere. A relative path is resolved against the project folder (the
    working directory of Snakemake and of the ``inpaint`` command) and must not
    leave it through ``..``; InpaintError names ``what`` (e.g. ``datasets.x.path``).
    Symbolic links inside the project are followed as the user set them up.
    """
    path = Path(value).expanduser()
    if not path.is_absolute():
        norm = os.path.normpath(path)
        if norm == os.pardir or norm.startswith(os.pardir + os.sep):
            raise InpaintError(
                f"{what}: relative path {str(value)!r} leads outside the project folder "
                f"({Path.cwd()}); write it as an absolute path to use a location outside "
                "the project on purpose"
            )
    return path
