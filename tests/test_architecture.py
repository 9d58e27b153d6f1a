"""The shape of the code: layers that import only downwards, no circles, Rich only in the
command line. docs/architecture.md draws the same layers."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).parents[1] / "src"

# Each part of the package and its layer, lowest first: a module may import from its own
# part or from a lower layer, never from a higher one.
LAYERS: dict[str, int] = {
    "errors": 0, "_sql": 0, "_version": 0, "progress": 0, "results": 0,
    "config": 1, "contract": 1, "charts": 1, "datasets": 1, "simulate": 1, "i18n": 1,
    "io": 2,
    "workspace": 3,
    "engine": 4,
    "models": 5, "sla": 5,
    "analytics": 6, "churn": 6,
    "actions": 7, "customers": 7, "spark": 7,
    "capabilities": 8,
    "report": 9,
    "service": 10, "docs": 10, "demo": 10,
    "cli": 11,
    "__init__": 12, "__main__": 12,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "tenure").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _part(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _imports(path: Path, module: str, known: dict[str, Path]) -> set[str]:
    """The tenure modules ``path`` imports, wherever the import stands (inside functions
    too: a deferred import is still a dependency)."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            # A name that is a module is that module; any other name comes from the base.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name.startswith("tenure"):
                found.add(name)
    return found - {module}


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {module: _imports(path, module, known) for module, path in known.items()}


def test_every_part_has_a_layer():
    parts = {_part(module) for module in _modules()}
    assert parts <= set(LAYERS), sorted(parts - set(LAYERS))


def test_no_import_runs_up_a_layer():
    upward = []
    for module, targets in _graph().items():
        for target in targets:
            mine, theirs = _part(module), _part(target)
            if mine != theirs and LAYERS[theirs] >= LAYERS[mine]:
                upward.append(f"{module} -> {target}")
    assert not upward, upward


def test_no_circles_between_modules():
    graph = _graph()
    # Tarjan's strongly connected components: a component of more than one module is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                members.append(top)
                if top == node:
                    break
            if len(members) > 1:
                circles.append(sorted(members))

    for node in graph:
        if node not in index:
            visit(node)
    assert not circles, circles


def test_rich_is_drawn_by_the_command_line_only():
    for module, path in _modules().items():
        if _part(module) == "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "rich" for a in node.names), module
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] != "rich", module


def test_no_part_below_the_command_line_imports_it():
    users = defaultdict(list)
    for module, targets in _graph().items():
        for target in targets:
            # The script's entry point, above the command line, loads it.
            if _part(target) == "cli" and _part(module) not in ("cli", "__main__"):
                users[target].append(module)
    assert not users, dict(users)
