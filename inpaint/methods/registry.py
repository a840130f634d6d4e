"""Registry of built-in methods: a dict plus a decorator (no filesystem scanning)."""

from __future__ import annotations

from collections.abc import Callable

from inpaint.errors import InpaintError
from inpaint.methods.base import InpaintMethod

_METHODS: dict[str, type[InpaintMethod]] = {}


def register_method(name: str) -> Callable[[type[InpaintMethod]], type[InpaintMethod]]:
    def decorator(cls: type[InpaintMethod]) -> type[InpaintMethod]:
        if name in _METHODS:
            raise ValueError(f"method {name!r} is already registered by {_METHODS[name].__name__}")
        cls.name = name
        _METHODS[name] = cls
        return cls

    return decorator


def list_methods() -> list[str]:
    return sorted(_METHODS)


def get_method_class(name: str) -> type[InpaintMethod]:
    try:
        return _METHODS[name]
    except KeyError:
        raise InpaintError(
            f"unknown method {name!r}; built-in methods: {', '.join(list_methods())}"
        ) from None


def get_method(name: str, **params) -> InpaintMethod:
    return get_method_class(name)(**params)
