"""The architecture holds: import-linter's contracts (pure cores, layers) and no import cycles.

docs/architecture.md names the layers; pyproject.toml declares them for import-linter.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
OUR_PACKAGES = ("contact_center", "routing", "ivr", "channels", "agents_ui")


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout


def test_the_pure_packages_really_have_modules_to_check() -> None:
    # Guards the contract above against passing vacuously on an empty package.
    assert len(list((ROOT / "contact_center" / "pqrd" / "domain").glob("*.py"))) >= 4
    assert len(list((ROOT / "routing" / "core").glob("*.py"))) >= 4


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), as sorted module lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_our_modules_import_no_cycle() -> None:
    # Imports under `if TYPE_CHECKING:` never run, so they cannot make a circle at import time.
    graph = grimp.build_graph(
        *OUR_PACKAGES, include_external_packages=False, exclude_type_checking_imports=True, cache_dir=None
    )
    assert import_cycles(graph) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    assert import_cycles(graph) == [["a", "b", "c"]]
