"""Import cycles between linedesk's packages (issue 13): the graph import-linter checks
(grimp), folded to one node per top-level package (`linedesk.billing`, `linedesk.kit`, …);
any strongly connected component of more than one package is a cycle. Exits 1 if any.

    .venv/bin/python tools/package_cycles.py
"""

import sys

import grimp


def package_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("linedesk")
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = ".".join(module.split(".")[:2]), ".".join(imported.split(".")[:2])
            if a != b:
                edges.setdefault(a, set()).add(b)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, those of more than one node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(edges) | {b for targets in edges.values() for b in targets}):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    sys.setrecursionlimit(10_000)
    edges = package_graph()
    found = cycles(edges)
    packages = len(set(edges) | {b for targets in edges.values() for b in targets})
    edge_count = sum(len(targets) for targets in edges.values())
    print(f"{packages} packages, {edge_count} edges between them, cycles: {found or 'none'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
