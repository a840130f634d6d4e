"""One registry pattern for every pluggable kind: methods, dataset kinds, mask kinds.

An entry is registered either directly (a class or function, usually with the
``register`` decorator at its definition, as torchvision's ``register_model``)
or lazily by dotted path (``"package.module"`` or ``"package.module:attr"``), so a
registry can list names without importing heavy modules. ``get`` of an unknown
name is an ``InpaintError`` that names the registry and lists what it holds.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from inpaint.errors import InpaintError

T = TypeVar("T")


class Registry(Generic[T]):
    """Names -> objects of one kind (``what`` names the kind in error messages)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[str, T | str] = {}

    def register(self, name: str, obj: T | None = None) -> Any:
        """``@registry.register("key")`` on a definition, or ``registry.register("key", obj)``."""
        if obj is not None:
            self._add(name, obj)
            return obj

        def decorator(target: T) -> T:
            self._add(name, target)
            return target

        return decorator

    def register_lazy(self, name: str, path: str) -> None:
        """Register ``"module"`` or ``"module:attr"``, imported on the first ``get``."""
        self._add(name, path)

    def _add(self, name: str, obj: T | str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.what} name must be a non-empty string, got {name!r}")
        if name in self._entries:
            raise ValueError(f"{self.what} {name!r} is already registered")
        self._entries[name] = obj

    def get(self, name: str) -> T:
        try:
            entry = self._entries[name]
        except (KeyError, TypeError):
            raise InpaintError(
                f"unknown {self.what} {name!r}; expected one of {', '.join(self.names())}"
            ) from None
        if isinstance(entry, str):
            module_path, _, attr = entry.partition(":")
            loaded = importlib.import_module(module_path)
            entry = getattr(loaded, attr) if attr else loaded
            self._entries[name] = entry
        return entry

    def names(self) -> list[str]:
        """Registered names in registration order."""
        return list(self._entries)

    def select(self, predicate: Callable[[T], bool]) -> list[str]:
        """Names whose (loaded) entry satisfies ``predicate``, in registration order."""
        return [name for name in self._entries if predicate(self.get(name))]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)
