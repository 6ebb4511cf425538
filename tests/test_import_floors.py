"""The package's floors (README, "Development"): a module imports only from its own floor or
an earlier one, and no two modules import each other, directly or through others."""

from __future__ import annotations

import graphlib

import pytest
from dvc_closure import PACKAGE, _imports, module_file, module_name

# Earliest first. A module's floor is its first entry that matches (a module, or a package
# and everything under it).
FLOORS = [
    ["pipeline.errors", "pipeline.yaml_file", "pipeline.library_params", "pipeline.progress"],
    ["pipeline.config"],
    ["pipeline.io", "pipeline.engine"],
    ["pipeline.textclean", "pipeline.dedupe", "pipeline.date_precision", "pipeline.parsers"],
    ["pipeline.snapshots"],
    ["pipeline.embedding"],
    ["pipeline.topics"],
    ["pipeline.themes"],
    ["pipeline.stats"],
    ["pipeline.report"],
    ["pipeline.stages"],
    ["pipeline.cli", "pipeline.__main__"],
]


def floor_of(name: str) -> int:
    if name == "pipeline":  # the package's __init__: only the version
        return 0
    for k, names in enumerate(FLOORS):
        if any(name == n or name.startswith(n + ".") for n in names):
            return k
    raise AssertionError(f"{name}: on no floor; add it to FLOORS (and the README's layout)")


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    return {name: {i for i in _imports(path) if module_file(i)} for name, path in modules.items()}


def upward(g: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{a} (floor {floor_of(a)}) imports {b} (floor {floor_of(b)})"
        for a, deps in g.items()
        for b in deps
        if floor_of(b) > floor_of(a)
    )


def test_every_module_is_on_a_floor():
    for name in graph():
        floor_of(name)


def test_nothing_imports_upward():
    assert upward(graph()) == []


def test_no_import_circle():
    g = {a: {b for b in deps if b != a} for a, deps in graph().items()}
    graphlib.TopologicalSorter(g).prepare()  # raises CycleError on a circle


def test_the_checks_can_fail():
    g = {"pipeline.io": {"pipeline.stages.topics"}}
    assert upward(g) == ["pipeline.io (floor 2) imports pipeline.stages.topics (floor 10)"]
    with pytest.raises(graphlib.CycleError):
        circle = {"pipeline.topics.fit": {"pipeline.topics.assign"},
                  "pipeline.topics.assign": {"pipeline.topics.fit"}}  # fmt: skip
        graphlib.TopologicalSorter(circle).prepare()
