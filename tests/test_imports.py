"""The package's imports run one way: no module imports itself back, and each stage imports only
the stages before it (grid -> labels -> teachers; artefacts -> labels; product, the last,
-> artefacts). Read from the source
(every import statement that runs, those inside functions too), nothing imported."""

import ast

import pytest

from conftest import ROOT

pytestmark = pytest.mark.unit

PACKAGE = ROOT / "workflow_scripts" / "labelrisk"


def runtime_nodes(tree: ast.AST):
    """Every node but those under `if TYPE_CHECKING:` (imports for type hints never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        yield node
        yield from runtime_nodes(node)


def module_imports() -> dict[str, set[str]]:
    """Each module of the package and the package's modules it imports, with the packages
    Python initialises on the way (`a.b.c` runs `a.b`'s `__init__` first), except
    a module's own enclosing packages (already being initialised when it runs)."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("labelrisk", *path.relative_to(PACKAGE).with_suffix("").parts)
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in names.items():
        own = {name.rsplit(".", k)[0] for k in range(1, name.count(".") + 1)}
        deps = set()
        for node in runtime_nodes(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                parts = target.split(".")
                deps |= {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
        graph[name] = {d for d in deps if d in names and d not in own and d != name}
    return graph


def stage(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        for d in graph[todo.pop()]:
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def test_no_module_imports_itself_back():
    graph = module_imports()
    assert [m for m in graph if m in reachable(graph, m)] == []


def stage_edges(graph) -> set[tuple[str, str]]:
    return {(stage(a), stage(b)) for a, deps in graph.items() for b in deps if stage(a) != stage(b)}


def test_the_labels_stage_imports_no_later_stage():
    edges = stage_edges(module_imports())
    assert {b for a, b in edges if a == "labels"} <= {"teachers"}
    assert {a for a, b in edges if b in ("grid", "artefacts")} <= {
        "artefacts",
        "machine",
        "product",
    }
    assert ("artefacts", "labels") in edges and ("grid", "labels") in edges


def test_labels_reaches_only_the_teachers_base_module_outside_itself():
    """What docs/development.md says: `labels` imports only `teachers.base` beside itself, and
    nothing that module imports in turn (`labelrisk.teachers` is the package it initialises)."""
    graph = module_imports()
    reached = set().union(*(reachable(graph, m) for m in graph if stage(m) == "labels"))
    outside = {m for m in reached if stage(m) != "labels"}
    assert outside == {"labelrisk.teachers", "labelrisk.teachers.base"}


def test_stages_import_one_way():
    edges = stage_edges(module_imports())
    assert [(a, b) for a, b in edges if (b, a) in edges] == []
