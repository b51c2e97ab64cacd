"""The merge package's modules import each other without a cycle (model at the bottom, merge.py at the top)."""

from __future__ import annotations

import ast
from pathlib import Path

import xltools.merge

FOLDER = Path(xltools.merge.__file__).parent


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in FOLDER.glob("*.py"):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps |= {node.module} if node.module else {a.name for a in node.names}
        graph[path.stem] = {d for d in deps if (FOLDER / f"{d}.py").is_file()}
    return graph


def test_no_import_cycle() -> None:
    graph = _graph()
    assert {"model", "work", "pool", "statuses", "totals", "spool", "merge"} <= graph.keys()
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, " -> ".join((*path, node))
        if node in done:
            return
        for dep in graph[node]:
            visit(dep, (*path, node))
        done.add(node)

    for node in graph:
        visit(node, ())
    assert graph["model"] <= {"spec", "roster"}  # the record a worker sends imports nothing of the merge's machinery
