"""The import contract (docs/architecture.md): labels ← inference ← training ← the Python API ← the CLI.
Every import counts, at the top of a module or inside a function, so no cycle can hide in one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Where each part of the package lives in the repository (pyproject.toml's package-dir) and its layer.
PARTS = {
    "govtag.labels": ("labels", 0),
    "govtag.inference": ("inference", 1),
    "govtag.training": ("training", 2),
    "govtag.cli": ("govtag/cli", 4),
}
API_LAYER = 3  # govtag/*.py outside govtag/cli: the Python API


def modules() -> dict[str, tuple[Path, int]]:
    found = {}
    for package, (folder, layer) in PARTS.items():
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *rel[:-1])) if rel[-1] == "__init__" else ".".join((package, *rel))
            found[name] = (path, layer)
    for path in (ROOT / "govtag").glob("*.py"):
        found["govtag" if path.stem == "__init__" else f"govtag.{path.stem}"] = (path, API_LAYER)
    return found


MODULES = modules()


def imported(name: str, path: Path) -> set[str]:
    """The project modules `name` imports anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in MODULES:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


GRAPH = {name: imported(name, path) for name, (path, _) in MODULES.items()}


def test_the_contract_sees_every_part_of_the_package():
    assert {"govtag", "govtag.cli", "govtag.labels.schema", "govtag.inference.tagger", "govtag.training.train"} <= set(
        MODULES
    )
    assert GRAPH["govtag.training.train"], "the import graph is empty: the test would pass whatever the code did"


def test_dependencies_point_down_the_layers():
    upward = [
        f"{name} → {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if MODULES[target][1] > MODULES[name][1]
    ]
    assert not upward, "imports against the layers (labels ← inference ← training ← API ← CLI):\n" + "\n".join(upward)


def test_nothing_outside_the_cli_imports_it():
    users = [
        name
        for name, targets in GRAPH.items()
        if not name.startswith("govtag.cli") and any(t.startswith("govtag.cli") for t in targets)
    ]
    assert not users


def test_no_import_cycles():
    state, cycles = {}, []

    def visit(name, stack):
        state[name] = "open"
        for target in sorted(GRAPH[name]):
            if target == "govtag" and name.startswith("govtag."):
                continue  # a package's __init__ is not imported by `from .x import y` inside it
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target, stack + [target])
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert not cycles, "\n".join(" → ".join(c) for c in cycles)


@pytest.mark.parametrize(
    "source,layer", [("from ..training.train import train\n", 1), ("def f():\n    from ..training import train\n", 1)]
)
def test_an_upward_import_is_caught_even_inside_a_function(tmp_path, source, layer):
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    targets = imported("govtag.inference.probe", path)
    assert any(MODULES[t][1] > layer for t in targets)
