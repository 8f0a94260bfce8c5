"""The shape of the code, checked: imports go one way and no module grows past 500 lines.

Imports are read from the source (module level, inside functions and under
TYPE_CHECKING alike), so a circle hidden in a function or a type import is
found too.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"
EDGE = "chalicelib.endpoints"
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported_modules(path: Path) -> set[str]:
    """Every chalicelib module `path` imports, wherever the import statement stands."""
    known = modules()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in known)
    found.discard(module_name(path))
    return found


@cache
def graph() -> dict[str, set[str]]:
    return {name: imported_modules(path) for name, path in modules().items()}


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    """Every module `start` leads to, following imports."""
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or not."""
    reach = {node: reachable(edges, node) for node in edges}
    found: list[list[str]] = []
    placed: set[str] = set()
    for node in sorted(edges):
        if node in reach[node] and node not in placed:
            circle = sorted(other for other in reach[node] if node in reach.get(other, set()))
            placed.update(circle)
            found.append(circle)
    return found


def test_circles_are_found_by_the_checker() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert circles(edges) == [["a", "b", "c"]]


def test_no_import_circle_between_chalicelib_modules() -> None:
    assert circles(graph()) == []


def test_only_the_edge_imports_the_edge() -> None:
    below = {
        name: sorted(target for target in targets if target.startswith(EDGE))
        for name, targets in graph().items()
        if not name.startswith(EDGE)
    }

    assert {name: targets for name, targets in below.items() if targets} == {}


# Each area, and the packages that belong to it: routing is the tickets area's
# routing half (the product's layout names it apart).
AREAS = {
    "tickets": ("chalicelib.tickets", "chalicelib.routing"),
    "attachments": ("chalicelib.attachments",),
    "assistant": ("chalicelib.assistant",),
    "livechat": ("chalicelib.livechat",),
}
# What one area may take from another: its types, never its services or adapters.
SHARED_TYPES = (".records", ".models")


def area_of(module: str) -> str | None:
    return next((area for area, packages in AREAS.items() if module.startswith(packages)), None)


def test_areas_do_not_import_each_others_services() -> None:
    crossings = {
        name: sorted(
            target
            for target in targets
            if area_of(target) not in (None, area_of(name)) and not target.endswith(SHARED_TYPES)
        )
        for name, targets in graph().items()
        if area_of(name) is not None
    }

    assert {name: targets for name, targets in crossings.items() if targets} == {}


def test_no_module_in_chalicelib_is_over_500_lines() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()
    }

    assert {name: lines for name, lines in sizes.items() if lines > MAX_LINES} == {}
