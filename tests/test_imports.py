"""The code's layers: no module imports itself around a loop, and the functions, which ship to
Lambda on their own, never import the site generator."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sitegen", "functions")
Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    """`sitegen/render/form.py` → `sitegen.render.form`; a package is named by its folder."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of `build.py` and the packages, by name."""
    found = {"build": ROOT / "build.py"}
    for package in PACKAGES:
        found |= {module_name(path): path for path in sorted((ROOT / package).rglob("*.py"))}
    return found


def imported(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The project's modules that a module imports, anywhere in it (functions, TYPE_CHECKING)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                # `from package import module` imports the module; other names, the package.
                target = f"{base}.{alias.name}"
                if target in known:
                    yield target
                elif base in known:
                    yield base


def graph() -> Graph:
    """Which project modules each module imports."""
    found = modules()
    known = set(found)
    return {name: set(imported(name, path, known)) - {name} for name, path in found.items()}


def cycles(edges: Graph) -> list[list[str]]:
    """Every group of modules that import each other around a loop (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_the_walk_sees_the_imports_it_checks() -> None:
    edges = graph()
    assert "sitegen.incremental.outfolder" in edges["sitegen.incremental.builder"]
    assert "functions.help_requests.app" in edges["functions.help_requests.handler"]
    assert "sitegen.render.form" in edges["sitegen.render.templates"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_itself_around_a_loop() -> None:
    assert cycles(graph()) == []


def test_the_parts_of_the_generator_form_layers() -> None:
    """Parts (`sitegen.render`, `sitegen.incremental`, ...) do not import each other in a loop
    either: each can be read knowing only the parts below it."""
    parts: Graph = {}
    for name, targets in graph().items():
        part = ".".join(name.split(".")[:2])
        parts.setdefault(part, set()).update(".".join(target.split(".")[:2]) for target in targets)
    assert cycles({part: targets - {part} for part, targets in parts.items()}) == []


def test_the_functions_never_import_the_site_generator() -> None:
    edges = graph()
    wrong = {
        f"{name} → {target}"
        for name, targets in edges.items()
        if name.startswith("functions")
        for target in targets
        if target.startswith("sitegen")
    }
    assert wrong == set()
