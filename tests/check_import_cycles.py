"""Fails when modules of lms/ import each other, directly or through a chain.

Run from the project root: `.venv/bin/python tests/check_import_cycles.py`. grimp (import-linter's
graph builder) reads every import statement, so a function-local import counts as much as one at
the top of a file: hiding an import inside a function does not break a cycle, it only delays it.
Each cycle is printed once as a chain of `importer -> imported (l.N)` steps; the exit code is 1
when there is any."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import grimp

ROOT_PACKAGE = "lms"


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that reach each other (Tarjan's algorithm, iterative), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups, key=lambda g: (-len(g), g))


def _step(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    lines = sorted({d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)})
    where = ", ".join(f"l.{n}" for n in lines)
    return f"{importer} -> {imported} ({where})"


def one_cycle(graph: grimp.ImportGraph, group: list[str]) -> list[str]:
    """A shortest way from the group's first module back to itself, as printed steps."""
    members = set(group)
    start = group[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while start not in previous:
        following = []
        for node in frontier:
            for child in sorted(graph.find_modules_directly_imported_by(node)):
                if child in members and child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    chain = [start]
    node = previous[start]
    while node != start:
        chain.append(node)
        node = previous[node]
    chain.append(start)
    chain.reverse()
    return [_step(graph, a, b) for a, b in zip(chain, chain[1:], strict=False)]


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    graph = grimp.build_graph(ROOT_PACKAGE, include_external_packages=False, cache_dir=None)
    groups = strongly_connected(graph)
    if not groups:
        print(f"no import cycles among the {len(graph.modules)} modules of {ROOT_PACKAGE}")
        return 0
    print(f"{len(groups)} import cycle(s) among the modules of {ROOT_PACKAGE}:")
    for group in groups:
        print(f"\n{len(group)} modules reach each other: {', '.join(group)}")
        print("  for example:")
        for step in one_cycle(graph, group):
            print(f"    {step}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
