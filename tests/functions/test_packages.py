"""How the functions' packages may use each other: each its own code and `shared`, no more.

Each function's artifact holds its own package and `shared` only (functions/Makefile), so an
import of another function's code from it would fail in Lambda."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {
    "help_requests": {"help_requests", "shared"},
    "helpers": {"helpers", "shared"},
    "moderation": {"moderation", "shared"},
    "notifier": {"notifier", "shared"},
    "shared": {"shared"},
}


def imports(path: Path) -> set[str]:
    """The absolute name of every module a file imports, relative imports resolved."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = parts[: len(parts) - node.level] if node.level else ()
            names.add(".".join([*base, *([node.module] if node.module else [])]))
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_itself_and_shared(package: str) -> None:
    for path in sorted((ROOT / "functions" / package).rglob("*.py")):
        names = imports(path)
        used = {name.split(".")[1] for name in names if name.startswith("functions.")}
        assert used <= ALLOWED[package], (path.relative_to(ROOT), used)
        assert not {name.split(".")[0] for name in names} & {"sitegen", "tests", "bench"}


def test_every_package_has_its_rule() -> None:
    packages = {path.parent.name for path in (ROOT / "functions").glob("*/__init__.py")}
    assert packages == set(ALLOWED)
