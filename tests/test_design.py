"""The shape of the package: imports point one way, and no module grows into a house of its own.

The import graph is read from the source (every ``import``, at module level, inside a function or
under ``if TYPE_CHECKING:``), so a lazy import that reaches back up the pipeline is found as surely
as an eager one.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "symcnn"
#: "no module over about 500 lines"
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """Each symcnn module and the symcnn modules it imports (a package's ``__init__`` is not
    counted as imported by its own submodules: Python loads it first, whatever they import)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                # `from . import x` runs the package's __init__ too
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_runs_up_the_pipeline() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "modules that import each other, lazily or not: " + "; ".join(
        ", ".join(component) for component in found
    )


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_core_network_knows_nothing_of_solving_or_rendering() -> None:
    graph = import_graph()
    for core in ("symcnn.network", "symcnn.graph", "symcnn.graph._compose", "symcnn.spec"):
        above = {m for m in graph[core] if m.split(".")[1] in ("solve", "sweep", "render", "forms")}
        assert not above, f"{core} imports {above}"
    for layer in [name for name in graph if name.startswith("symcnn.layers")]:
        above = {m for m in graph[layer] if not m.startswith("symcnn.layers")}
        allowed = {"symcnn.errors", "symcnn.formula", "symcnn.parse", "symcnn.prose"}
        allowed |= {"symcnn.symbols", "symcnn.quantities", "symcnn.floors"}
        assert above <= allowed, f"{layer} imports {above - allowed}"


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {
        path.relative_to(PACKAGE.parent).as_posix(): len(path.read_text().splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    large = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert not large, f"modules over {MAX_LINES} lines: {large}"


def test_central_code_imports_no_layer_family() -> None:
    """Outside ``symcnn/layers/``, code goes through the registry or a layer's own methods."""
    graph = import_graph()
    families = {name for name in graph if name.startswith("symcnn.layers.")}
    families -= {"symcnn.layers.base", "symcnn.layers._arguments", "symcnn.layers._defaults"}
    for name, imported in graph.items():
        if not name.startswith("symcnn.layers"):
            assert not imported & families, f"{name} imports {imported & families}"
