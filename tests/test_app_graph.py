"""The project's apps depend on each other in one direction only (README "How a request is
answered" draws the graph). Every import in an app's code (migrations and tests aside), wherever
it stands in the module, is an edge from that app to the app it names; the graph must have no
cycle, and core, the shared machinery, imports no other app of the project."""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR).resolve()

Graph = dict[str, dict[str, list[str]]]  # app -> {app it imports: [the modules that import it]}


def project_apps() -> dict[str, Path]:
    """The installed apps whose code lives in this project, by top-level package name."""
    found = {}
    for config in apps.get_app_configs():
        package = config.name.split(".")[0]
        if Path(config.path).resolve().is_relative_to(BASE_DIR / package):  # not a library's app
            found[package] = BASE_DIR / package
    return found


def app_modules(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if "migrations" in parts or "tests" in parts or path.name.startswith("test_") or path.name == "conftest.py":
            continue
        yield path


def imported_names(path: Path) -> Iterator[str]:
    """The absolute module names a file imports (relative imports stay inside its own app)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def app_graph() -> Graph:
    packages = project_apps()
    graph: Graph = {app: {} for app in packages}
    for app, root in packages.items():
        for path in app_modules(root):
            for name in imported_names(path):
                target = name.split(".")[0]
                if target in packages and target != app:
                    graph[app].setdefault(target, []).append(str(path.relative_to(BASE_DIR)))
    return graph


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each group of apps that depend on each other (Tarjan's strongly
    connected components), as a path that ends where it starts: ["a", "b", "a"]."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

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
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return [_cycle_within(set(component), edges) for component in components]


def _cycle_within(component: set[str], edges: dict[str, set[str]]) -> list[str]:
    """A path from the component's first app back to it through the component's edges."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(edges.get(node, set()) & component):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    raise AssertionError(f"no cycle through {sorted(component)}")


def describe(cycle: list[str], graph: Graph) -> str:
    steps = [
        f"  {source} -> {target}: {', '.join(sorted(set(graph[source][target])))}"
        for source, target in zip(cycle, cycle[1:], strict=False)
    ]
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


def test_the_app_import_graph_has_no_cycle():
    graph = app_graph()
    cycles = find_cycles({app: set(targets) for app, targets in graph.items()})

    assert not cycles, "Apps that import each other:\n" + "\n".join(describe(cycle, graph) for cycle in cycles)


def test_core_imports_no_other_app_of_the_project():
    assert app_graph()["core"] == {}


def test_the_graph_covers_every_app_and_sees_their_imports():
    graph = app_graph()

    assert {"core", "accounts", "customers", "mechanics", "inventory", "vehicles", "tickets", "demo"} <= set(graph)
    assert "tickets/models.py" in graph["tickets"]["vehicles"]  # Ticket.vehicle
    assert "customers" in graph["accounts"]
    assert set(graph["idempotency"]) == {"core"}  # it sits just above core: every app's views may use it
    assert "idempotency" in graph["tickets"]


def test_find_cycles_reports_each_cycle_once_as_a_closed_path():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"g"}, "g": {"d"}}

    assert find_cycles(edges) == [["a", "b", "c", "a"], ["e", "e"]]
    assert find_cycles({"x": {"y"}, "y": set()}) == []


def readme_graph() -> tuple[list[list[str]], dict[str, set[str]]]:
    """The README's drawing of the graph (its layers, top first) and its table of each app's imports."""
    text = (BASE_DIR / "README.md").read_text()
    section = text[text.index("### Which app depends on which") :]
    drawing = section[section.index("```\n") + 4 :]
    drawing = drawing[: drawing.index("```")]
    # a line: the layer's apps, then what they hold, each apart by three spaces or more
    layers = [re.split(r" {3,}", line)[:-1] for line in drawing.splitlines()]
    table = {}
    for line in section[: section.index("\nWhere a feature spans")].splitlines():
        if line.startswith("| `"):
            app, imports = (cell.strip() for cell in line.strip("|").split("|"))
            table[app.strip("`")] = set() if imports == "nothing" else set(imports.split(", "))
    return layers, table


def test_the_readme_draws_the_graph_as_it_is():
    """README "Which app depends on which": every app drawn once, above every app it imports, and the
    table of each app's imports matches the code's."""
    graph = app_graph()
    layers, table = readme_graph()
    level = {app: len(layers) - n for n, layer in enumerate(layers) for app in layer}

    assert sorted(app for layer in layers for app in layer) == sorted(graph), "each app drawn once"
    assert table == {app: set(targets) for app, targets in graph.items()}
    assert [(app, target) for app, targets in graph.items() for target in targets if level[app] <= level[target]] == []
