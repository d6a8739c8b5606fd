"""Flags migrations that would break the previous release during a rolling upgrade.

While processes are replaced one by one, the previous release keeps running against the new schema,
so a migration newer than the released ones (migrations/released_revisions.txt) may not, in its
`upgrade()`, drop or rename a table or a column (`op.drop_column`, `op.drop_table`, `op.rename_table`,
`alter_column(new_column_name=...)`, the same on a batch operation, or that SQL in `op.execute`).
It may when it is the contract step of an expand/contract pair whose expand step was released: a
module-level `contract_of = "<released revision>"`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

DESTRUCTIVE_CALLS = {"drop_column", "drop_table", "rename_table"}
DESTRUCTIVE_SQL = re.compile(
    r"\b(DROP\s+(TABLE|COLUMN)|RENAME\s+(TO|COLUMN))\b|\bALTER\s+TABLE\s+\S+\s+DROP\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what} in upgrade() breaks the previous release"


def released(path: Path) -> set[str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def check(versions: Path, released_revisions: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    for path in sorted(versions.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        values = _module_strings(tree)
        if values.get("revision") in released_revisions or "revision" not in values:
            continue
        if values.get("contract_of") in released_revisions:
            continue  # the contract step of a released expand step
        upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None)
        if upgrade is not None:
            findings += [Finding(path.name, line, what) for line, what in _destructive(upgrade)]
    return findings


def _module_strings(tree: ast.Module) -> dict[str, str]:
    out = {}
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, str):
            out[target.id] = value.value
    return out


def _destructive(function: ast.FunctionDef) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        if name in DESTRUCTIVE_CALLS:
            found.append((node.lineno, name))
        elif name == "alter_column" and any(k.arg == "new_column_name" for k in node.keywords):
            found.append((node.lineno, "alter_column(new_column_name=...)"))
        elif name == "execute" and any(_sql_drops(arg) for arg in node.args):
            found.append((node.lineno, "DROP/RENAME in op.execute"))
    return found


def _sql_drops(arg: ast.expr) -> bool:
    texts = [n.value for n in ast.walk(arg) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return any(DESTRUCTIVE_SQL.search(text) for text in texts)
