"""The layout holds: no import cycles inside tasks_app, every module imports, and no module grows
past the size a person reads in one sitting (README.md, "Tests")."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

from tests.support.processes import ROOT

MAX_LINES = 300

# Modules allowed over MAX_LINES for now, each until it is split. Empty this set, do not add to it:
# a module that outgrows the limit is split (README.md, "Tests").
EXCEPTIONS = {
    # Django's convention is one settings module; every knob in it carries the comment that says why.
    "helloworld/settings.py",
}


def python_files(package: str) -> list[str]:
    """Every module of the package, as paths relative to the project root; migrations left out."""
    found = []
    for folder, subfolders, files in os.walk(ROOT / package):
        subfolders[:] = sorted(name for name in subfolders if name not in ("migrations", "__pycache__"))
        found += [os.path.relpath(os.path.join(folder, name), ROOT) for name in files if name.endswith(".py")]
    return sorted(found)


def module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: str, modules: set[str]) -> set[str]:
    """The modules of `modules` that the file at `path` imports, wherever (in functions too)."""
    name = module_name(path)
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found = set()

    def known(dotted: str) -> str | None:  # the module itself, or the package it names a thing of
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    for node in ast.walk(ast.parse((ROOT / path).read_text(), path)):
        if isinstance(node, ast.Import):
            found.update(known(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from ..api import y
                base = package.split(".")
                base = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else known(base))
    found.discard(None)
    found.discard(name)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a list of modules, the first again at the end) per strongly connected group."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [cycle_within(group, graph) for group in groups]


def cycle_within(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node] & group):
                if successor == start:
                    return [*paths[node], start]
                if successor not in paths:
                    paths[successor] = [*paths[node], successor]
                    following.append(successor)
        frontier = following
    raise AssertionError(f"no cycle in {group}")  # Tarjan said there was one


def import_graph() -> dict[str, set[str]]:
    files = python_files("tasks_app")
    modules = {module_name(path) for path in files}
    return {module_name(path): imported_modules(path, modules) for path in files}


def test_the_import_graph_sees_imports_of_every_kind():
    graph = import_graph()
    assert "tasks_app.api.periodic" in graph["tasks_app.api.urls"]  # from . import periodic (or absolute)
    assert "tasks_app.validation" in graph["tasks_app.catalog"]
    assert all(module.startswith("tasks_app") for targets in graph.values() for module in targets)


def test_the_cycle_finder_names_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_tasks_app_has_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles in tasks_app:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_every_tasks_app_module_imports_in_a_fresh_interpreter():
    names = sorted(module_name(path) for path in python_files("tasks_app"))
    script = "\n".join(
        [
            "import importlib, django",
            "django.setup()",
            f"for name in {names!r}:",
            "    importlib.import_module(name)",
        ]
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr[-4000:]


def line_counts() -> dict[str, int]:
    return {
        path: len((ROOT / path).read_text().splitlines())
        for package in ("tasks_app", "helloworld")
        for path in python_files(package)
    }


def test_no_module_is_over_300_lines():
    over = {path: lines for path, lines in line_counts().items() if lines > MAX_LINES and path not in EXCEPTIONS}
    assert not over, f"over {MAX_LINES} lines, split them: " + ", ".join(f"{p} ({n})" for p, n in sorted(over.items()))


def test_every_exception_is_still_over_the_limit():
    """An exception that was split (or has shrunk) leaves EXCEPTIONS, so that it cannot grow back."""
    counts = line_counts()
    stale = sorted(path for path in EXCEPTIONS if counts.get(path, 0) <= MAX_LINES)
    assert not stale, f"remove from EXCEPTIONS in {__name__}: {', '.join(stale)}"


def test_the_support_helpers_bench_uses_import_without_pytest():
    """bench/ runs without the test requirements: tests/support must not need pytest to import."""
    script = (
        "import sys\n"
        "sys.modules['pytest'] = None\n"  # any import of pytest now fails
        "import tests.support.celery, tests.support.processes, tests.support.services, tests.support.waiting\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr[-4000:]
