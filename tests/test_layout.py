"""The package's layout: no import loops, rules blind to the model, roles in their rooms.

The import graph is read from the source (every ``import`` and ``from ...
import``, including type-only imports and imports inside functions), so a
loop cannot hide behind a lazy import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = "stationsim"

#: What each room may import from the package (besides itself).  Lower rooms
#: never import higher ones.
ROOMS = {
    "rules": set(),
    "inputs": set(),
    "model": {"rules", "inputs"},
    "running": {"model", "rules", "inputs"},
    "analysis": {"running", "model", "rules", "inputs", "present.plots"},
    "present": {"analysis", "running", "model", "rules", "inputs"},
    "app": {"present", "analysis", "running", "model", "rules", "inputs"},
}


def modules(src: Path = SRC, pkg: str = PKG) -> dict[str, Path]:
    """Module name -> file, for every module of the package."""
    out = {}
    for f in (src / pkg).rglob("*.py"):
        parts = list(f.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def import_graph(src: Path = SRC, pkg: str = PKG) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (anywhere in the file)."""
    mods = modules(src, pkg)
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        is_pkg = f.name == "__init__.py"
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = m.split(".") if is_pkg else m.split(".")[:-1]
                    base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                subs = [f"{base}.{a.name}" for a in node.names]
                targets = [t for t in subs if t in mods]
                if any(t not in mods for t in subs):
                    targets.append(base)
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != m and t.startswith(pkg):
                    edges[m].add(t)
    return edges


def loops(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_no_import_loop() -> None:
    assert loops(import_graph()) == []


def test_the_loop_finder_finds_a_loop(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from pkg.c import x\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    import pkg.a\n")
    assert loops(import_graph(tmp_path, "pkg")) == [["pkg.a", "pkg.b", "pkg.c"]]


def _room(mod: str) -> str | None:
    parts = mod.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ROOMS) else None


@pytest.mark.parametrize("room", sorted(ROOMS))
def test_rooms_import_only_lower_rooms(room: str) -> None:
    bad = []
    for mod, targets in import_graph().items():
        if _room(mod) != room:
            continue
        for t in targets:
            other = _room(t)
            if other is None or other == room:
                continue
            sub = ".".join(t.split(".")[1:3])
            if other not in ROOMS[room] and sub not in ROOMS[room]:
                bad.append(f"{mod} -> {t}")
    assert not bad, bad


def test_rules_never_see_the_model() -> None:
    """A rule gets a read-only StationContext; no rule module imports the model."""
    for mod, targets in import_graph().items():
        if mod.startswith("stationsim.rules"):
            assert not [t for t in targets if t.startswith("stationsim.model")], mod


def test_every_event_type_of_the_format_is_a_class() -> None:
    """The scenario format's event types and the event classes are the same list."""
    import typing

    from stationsim.model.events import EVENTS
    from stationsim.model.scenario import EventSpec

    allowed = typing.get_args(EventSpec.model_fields["type"].annotation)
    assert set(allowed) == set(EVENTS)
    for name, ev in EVENTS.items():
        assert ev.type == name and type(ev).__doc__, name



def _module_table(text: str | None = None) -> set[str]:
    """Paths (relative to ``src/stationsim``) named in the first cell of a module table
    (DEVELOPERS.md's unless ``text`` is given)."""
    import re

    if text is None:
        text = (SRC.parent / "DEVELOPERS.md").read_text(encoding="utf-8")
    return {p for line in text.splitlines() if line.startswith("| `")
            for p in re.findall(r"`([^`]+)`", line.split("|")[1])}


def _gone(named: set[str], root: Path = SRC / PKG) -> list[str]:
    return [p for p in sorted(named) if not (root / p).exists()]


def test_the_module_table_names_files_that_exist() -> None:
    """A module moved or split leaves no row naming a file that is gone."""
    assert _gone(_module_table()) == []


def test_every_module_of_a_rooms_package_has_a_row() -> None:
    """Packages inside a room (``analysis/experiment/``, ``present/plots/`` ...) hold one
    concept per module, each named with its concept in DEVELOPERS.md's table."""
    named = _module_table()
    unnamed = []
    for f in sorted((SRC / PKG).rglob("*.py")):
        rel = f.relative_to(SRC / PKG)
        if len(rel.parts) >= 3 and rel.name not in ("__init__.py", "__main__.py"):
            if rel.as_posix() not in named:
                unnamed.append(rel.as_posix())
    assert not unnamed, unnamed


def test_the_module_table_check_finds_a_gone_file() -> None:
    table = ("| Module | Concept |\n|---|---|\n"
             "| `analysis/experiment.py` | the experiments, before the split |\n"
             "| `analysis/experiment/runner.py`, `present/plots/` | run_experiment; figures |\n")
    assert _module_table(table) == {"analysis/experiment.py", "analysis/experiment/runner.py",
                                    "present/plots/"}
    assert _gone(_module_table(table)) == ["analysis/experiment.py"]
