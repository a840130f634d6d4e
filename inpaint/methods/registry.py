"""The method registry: names -> InpaintMethod classes (an ``inpaint.registry.Registry``).

A method class registers itself with ``@register_method("key")`` at its definition
(as torchvision's ``register_model``); ``inpaint.methods`` imports every built-in
method package once, explicitly (no filesystem scanning). Which methods are
learned and which classical is read from the classes' ``learned`` flag here, so a
new method lands in the right group of every table and test without a list to edit.
"""

from __future__ import annotations

from collections.abc import Callable

from inpaint.methods.base import InpaintMethod
from inpaint.registry import Registry

METHODS: Registry[type[InpaintMethod]] = Registry("method")
# The registry's name -> class dict, for tests that add a method for their duration
# (``monkeypatch.setitem(registry._METHODS, "name", cls)``).
_METHODS = METHODS._entries


def register_method(name: str) -> Callable[[type[InpaintMethod]], type[InpaintMethod]]:
    """Class decorator: register the class under ``name`` and set its ``name``."""

    def decorator(cls: type[InpaintMethod]) -> type[InpaintMethod]:
        METHODS.register(name, cls)
        cls.name = name
        return cls

    return decorator


def list_methods() -> list[str]:
    """Every registered method, sorted."""
    return sorted(METHODS.names())


def get_method_class(name: str) -> type[InpaintMethod]:
    """The class registered as ``name``; InpaintError listing the known ones if none."""
    return METHODS.get(name)


def get_method(name: str, **params) -> InpaintMethod:
    return get_method_class(name)(**params)


def classical_methods() -> list[str]:
    """The registered methods without a training stage (``learned`` False), sorted."""
    return sorted(METHODS.select(lambda cls: not cls.learned))


def learned_methods() -> list[str]:
    """The registered methods with a training stage (``learned`` True), sorted."""
    return sorted(METHODS.select(lambda cls: cls.learned))
