"""Plain numpy arrays out of pickles inside a tar.gz, read safely in memory.

:func:`read_sdist_members` reads regular-file members of a source archive in one
pass without extracting anything; :func:`read_numpy_pickle` unpickles one with
:class:`NumpyOnlyUnpickler`, which allows only numpy's plain-array reconstruction
and refuses any other global with one :class:`InpaintError` naming the file.
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
import zlib
from typing import Any

import numpy as np

from inpaint.errors import InpaintError


def _allowed_globals() -> dict[tuple[str, str], Any]:
    try:
        from numpy._core.multiarray import _reconstruct
        from numpy._core.numeric import _frombuffer
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
        from numpy.core.numeric import _frombuffer

    return {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy.core.numeric", "_frombuffer"): _frombuffer,   # pickle protocol 5
        ("numpy._core.numeric", "_frombuffer"): _frombuffer,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain numpy arrays in dicts/lists/tuples of str and numbers, nothing else.

    The only globals allowed are numpy's array reconstruction
    (``numpy[._]core.multiarray._reconstruct``, and ``numpy[._]core.numeric._frombuffer``
    for pickle protocol 5), ``numpy.ndarray`` and ``numpy.dtype``; any other global (and
    any persistent id) is refused with :class:`InpaintError` naming ``source`` and the global.
    """

    def __init__(self, file, source: str):
        super().__init__(file)
        self.source = source
        self.allowed = _allowed_globals()

    def find_class(self, module, name):
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise InpaintError(
                f"{self.source}: refusing to unpickle the global {module}.{name} "
                "(only plain numpy arrays are allowed)"
            ) from None

    def persistent_load(self, pid):
        raise InpaintError(f"{self.source}: refusing a persistent id in a numpy pickle")


def read_numpy_pickle(data: bytes, source: str) -> Any:
    """Unpickle ``data`` with :class:`NumpyOnlyUnpickler`; every array must be numeric."""
    try:
        value = NumpyOnlyUnpickler(io.BytesIO(data), source).load()
    except InpaintError:
        raise
    except Exception as exc:  # truncated or malformed pickle, bad array state
        raise InpaintError(f"{source}: not a readable numpy pickle: {exc}") from exc
    _check_leaves(value, source)
    return value


def _check_leaves(value: Any, source: str, where: str = "") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InpaintError(f"{source}: non-string key {key!r} at {where or '/'}")
            _check_leaves(item, source, f"{where}/{key}")
    elif isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiu":
            raise InpaintError(f"{source}: array {where} has dtype {value.dtype}, "
                               "expected a numeric array")
    else:
        raise InpaintError(f"{source}: {where or 'the pickle'} is a {type(value).__name__}, "
                           "expected nested dicts of numpy arrays")


def read_sdist_members(sdist: str | os.PathLike, members) -> dict[str, bytes]:
    """The bytes of regular-file members of a tar.gz, read in memory in one pass (nothing
    is extracted); a member that is missing or not a regular file is an error."""
    wanted = set(members)
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(sdist, "r:gz") as tar:
            for info in tar:
                if info.name in wanted:
                    if not info.isfile():
                        raise InpaintError(f"{sdist}: {info.name} is not a regular file")
                    found[info.name] = tar.extractfile(info).read()
                    if len(found) == len(wanted):
                        break
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise InpaintError(f"cannot read {sorted(wanted)} from {sdist}: {exc}") from exc
    missing = sorted(wanted - set(found))
    if missing:
        raise InpaintError(f"{sdist} has no member {missing[0]}")
    return found
