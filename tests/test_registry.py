"""The one registry pattern: direct and lazy entries, duplicates, unknown names."""

import pytest

from inpaint.errors import InpaintError
from inpaint.registry import Registry


def test_register_decorator_and_direct():
    reg = Registry("widget")

    @reg.register("a")
    def a():
        return 1

    reg.register("b", len)
    assert reg.names() == ["a", "b"]
    assert "a" in reg
    assert len(reg) == 2
    assert reg.get("a") is a
    assert reg.get("b") is len
    assert reg.select(lambda f: f is len) == ["b"]


def test_lazy_entries_import_on_get():
    reg = Registry("thing")
    reg.register_lazy("json", "json")
    reg.register_lazy("dumps", "json:dumps")
    import json

    assert reg.get("json") is json
    assert reg.get("dumps") is json.dumps


def test_duplicate_and_unknown_names():
    reg = Registry("mask kind")
    reg.register("center", object())
    with pytest.raises(ValueError, match="mask kind 'center' is already registered"):
        reg.register("center", object())
    with pytest.raises(InpaintError, match="unknown mask kind 'nope'; expected one of center"):
        reg.get("nope")
    with pytest.raises(InpaintError, match="unknown mask kind"):
        reg.get(["unhashable"])
