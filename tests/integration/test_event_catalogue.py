"""docs/events.md against the code, both ways: events emitted (Event(...), emit(...)) and handled
(validated `on_<event>` handlers of the three namespaces), with the fields of each client event."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from agents_ui.namespace_agents import ConsoleAgentsNamespace
from agents_ui.namespace_supervisors import DashboardNamespace
from channels.webchat.namespace import ChatNamespace

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "docs" / "events.md"
SOURCES = ["contact_center", "routing", "channels", "agents_ui"]
NAMESPACES = {"/chat": ChatNamespace, "/agents": ConsoleAgentsNamespace, "/supervisors": DashboardNamespace}
# Where the event's name is among a call's arguments.
NAME_ARGUMENT = {"Event": 0, "emit": 0, "_to_both": 2, "chat_event": 0}


def catalogue() -> list[dict[str, str]]:
    """Every row of the Markdown tables, with the section (namespace) it is under."""
    rows, section = [], ""
    for line in CATALOGUE.read_text().splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        cells = (
            [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            if line.startswith("| `")
            else []
        )
        if cells:
            name = cells[0].strip("`")
            rows.append({"section": section, "name": name, "direction": cells[1], "payload": cells[3]})
    return rows


def string_constants(trees: list[ast.Module]) -> dict[str, str]:
    found = {}
    for tree in trees:
        for node in tree.body:
            value = node.value if isinstance(node, ast.Assign) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                for target in node.targets:  # type: ignore[union-attr]
                    if isinstance(target, ast.Name):
                        found[target.id] = value.value
    return found


def emitted_names() -> set[str]:
    trees = [ast.parse(p.read_text()) for d in SOURCES for p in (ROOT / d).rglob("*.py")]
    constants = string_constants(trees)
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            index = NAME_ARGUMENT.get(func)
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                names.add(constants[arg.id])
    return names


def test_every_emitted_event_is_in_the_catalogue_and_every_server_event_there_is_emitted() -> None:
    documented = {r["name"] for r in catalogue() if "client → server" not in r["direction"]}
    emitted = emitted_names()
    assert emitted - documented == set(), "emitted but not in docs/events.md"
    assert documented - emitted == set(), "in docs/events.md but never emitted"


def test_every_handled_client_event_is_documented_with_its_fields_and_nothing_else() -> None:
    rows = [r for r in catalogue() if r["direction"] == "client → server"]
    for namespace, cls in NAMESPACES.items():
        handled = cls.client_events()
        documented = {r["name"]: r for r in rows if r["section"] == namespace}
        assert set(handled) == set(documented), namespace
        for name, model in handled.items():
            payload = documented[name]["payload"]
            for field in model.model_fields:
                assert re.search(rf"\b{field}\??:", payload), (
                    f"{namespace} {name}: field {field} not documented"
                )


def test_the_catalogue_names_the_router_and_ticket_events() -> None:
    names = {r["name"] for r in catalogue()}
    assert {"offer", "offer.revoked", "assignment", "queue.position", "stats.queues", "presence"} <= names
    assert {"ticket.updated", "ticket.escalated"} <= names
