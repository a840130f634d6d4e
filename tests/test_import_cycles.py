"""No import cycle anywhere in the inpaint package.

Imports are read with ``ast`` from every module of ``inpaint/``, at module level and
inside functions alike (a function-level import is a dependency too: it only runs
later), including ``TYPE_CHECKING`` blocks. ``from package import name`` depends on
``package.name`` when that is a module, else on ``package``. The implicit import of a
module's parent packages is not an edge (Python runs ``inpaint/methods/glcic/__init__``
before ``inpaint.methods.glcic.system`` whatever the code says). Dependencies go one way,
e.g. a learned method's ``__init__`` -> ``system`` -> ``network``.

Module-level cycles fail outright; function-level imports count too (:data:`DEFERRED`
lists edges allowed to close a cycle: keep it empty).
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "inpaint"
# Function-level imports allowed to close a cycle, as (importer, imported): none.
DEFERRED: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(module_level_only: bool = False) -> dict[str, set[str]]:
    """inpaint module -> the inpaint modules it imports."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(), str(path))
        nodes = _module_level(tree.body) if module_level_only else ast.walk(tree)
        for node in nodes:
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor[:len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                while target and target not in modules:  # import a.b.c of a module a.b
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _module_level(body: list[ast.stmt]):
    """The statements that run on import: the body, into if/try/with blocks, not into
    function or class bodies."""
    for node in body:
        yield node
        if isinstance(node, ast.If | ast.Try | ast.With):
            for block in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, block, []):
                    yield from _module_level(child.body if isinstance(child, ast.ExceptHandler)
                                             else [child])


def find_cycle(graph: dict[str, set[str]]) -> str | None:
    """One import cycle of ``graph`` as "a -> b -> a", or None."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return " -> ".join(reversed(exc.args[1]))
    return None


def test_the_graph_sees_imports():
    graph = import_graph()
    assert "inpaint.methods.learned" in graph["inpaint.methods.glcic"]
    assert "inpaint.methods.glcic.system" in graph["inpaint.methods.glcic"]  # lazy
    assert "inpaint.methods.glcic.network" in graph["inpaint.methods.glcic.system"]
    assert "inpaint.training.seeding" in graph["inpaint.training.sampler"]  # from x import y
    top = import_graph(module_level_only=True)
    assert "inpaint.methods.learned" in top["inpaint.methods.glcic"]
    assert "inpaint.methods.glcic.system" not in top["inpaint.methods.glcic"]


def test_no_module_level_import_cycle_in_inpaint():
    cycle = find_cycle(import_graph(module_level_only=True))
    assert cycle is None, f"import cycle: {cycle}"


def test_no_import_cycle_in_inpaint_counting_function_level_imports():
    graph = import_graph()
    for source, target in DEFERRED:
        graph[source].discard(target)
    cycle = find_cycle(graph)
    assert cycle is None, f"import cycle: {cycle}"


def test_a_cycle_is_found():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    cycle = find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}})
    assert cycle is not None
    assert set(cycle.split(" -> ")) == {"a", "b", "c"}


def test_learned_methods_import_one_way():
    """method package -> system -> network, never back (the layout of docs/adding-a-method.md)."""
    graph = import_graph()
    for method in ("context_encoder", "glcic", "pconv", "yeh_dcgan"):
        package = f"inpaint.methods.{method}"
        assert not graph[f"{package}.network"] & {package, f"{package}.system"}
        assert package not in graph[f"{package}.system"]
