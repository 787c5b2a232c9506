"""The layout holds: no import cycles inside tasks_app, every module imports, no module grows past the
size a person reads in one sitting, and few modules lie loose in tasks_app (README.md, "Tests").
Which package may import which is import-linter's to check (pyproject.toml, `make lint`)."""

from __future__ import annotations

import os
import subprocess
import sys

import grimp

from tests.support.processes import ROOT

MAX_LINES = 300

# Modules allowed over MAX_LINES for now, each until it is split. Empty this set, do not add to it:
# a module that outgrows the limit is split (README.md, "Tests").
EXCEPTIONS = {
    # Django's convention is one settings module; every knob in it carries the comment that says why.
    "helloworld/settings.py",
}


# Django's conventional module names in an app; the app's other modules belong in its packages.
DJANGO_MODULES = {"models", "admin", "apps", "forms", "urls", "tasks", "signals", "managers", "context_processors"}
MAX_LOOSE_MODULES = 9


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


def module_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every cycle of imports, once each: from its first module by name, back to it at the end."""
    found = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            if graph.chain_exists(importer=imported, imported=importer):
                loop = [importer, *graph.find_shortest_chain(importer=imported, imported=importer)[:-1]]
                start = loop.index(min(loop))
                found.add((*loop[start:], *loop[:start], loop[start]))
    return sorted(list(cycle) for cycle in found)


def test_the_cycle_finder_names_a_cycle():
    graph = grimp.ImportGraph()
    for importer, imported in [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]:
        graph.add_import(importer=importer, imported=imported)
    assert module_cycles(graph) == [["a", "b", "c", "a"]]
    graph.remove_import(importer="c", imported="a")
    assert module_cycles(graph) == []


# Inside each package, import-linter forbids cycles even between subpackages (pyproject.toml, `make lint`).
# tasks_app's own top level has such package-level ones (selectors and services read each other, catalog
# and tasks, ...), so here the finer rule for the whole app: no module imports itself back, however far.
def test_tasks_app_has_no_import_cycles():
    found = module_cycles(grimp.build_graph("tasks_app", cache_dir=None))
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


def test_tasks_app_keeps_few_loose_modules():
    """A module that is not one of Django's conventional ones joins the package of its concern
    (services, selectors, http, lib, ...) rather than the app's top level."""
    loose = sorted(
        path.name for path in (ROOT / "tasks_app").glob("*.py") if path.stem not in {"__init__", *DJANGO_MODULES}
    )
    assert len(loose) <= MAX_LOOSE_MODULES, f"{len(loose)} loose modules in tasks_app/: {', '.join(loose)}"


def test_the_support_helpers_bench_uses_import_without_pytest():
    """bench/ runs without the test requirements: tests/support must not need pytest to import."""
    script = (
        "import sys\n"
        "sys.modules['pytest'] = None\n"  # any import of pytest now fails
        "import tests.support.celery, tests.support.processes, tests.support.services, tests.support.waiting\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr[-4000:]
