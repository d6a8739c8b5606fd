"""Reading flow files: YAML -> per-node pydantic validation -> graph checks, every issue located."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]  # types-PyYAML is not a dev dependency yet
from pydantic import TypeAdapter, ValidationError

from ivr.flow.errors import FlowIssue, FlowValidationError
from ivr.flow.graph import graph_issues
from ivr.flow.schema import Flow, Node

DEFAULT_FLOWS_DIR = Path(__file__).resolve().parent.parent / "flows"
DEFAULT_FLOW_ID = "linea195"

_NODE = TypeAdapter[Node](Node)


def load_flows(directory: Path = DEFAULT_FLOWS_DIR) -> dict[str, Flow]:
    """Every `*.yaml` flow of a directory by flow id; one error lists the issues of all files."""
    flows: dict[str, Flow] = {}
    issues: list[FlowIssue] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            flow = load_flow(path)
        except FlowValidationError as error:
            issues += error.issues
            continue
        if flow.id in flows:
            issues.append(FlowIssue(path.name, None, f"flow id '{flow.id}' is used twice"))
        flows[flow.id] = flow
    if issues:
        raise FlowValidationError(issues)
    return flows


def load_flow(path: Path) -> Flow:
    return parse_flow(path.read_text(encoding="utf-8"), source=path.name, default_id=path.stem)


def parse_flow(text: str, *, source: str, default_id: str | None = None) -> Flow:
    """Validate one flow document; `source` names it in messages (the file name)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FlowValidationError([FlowIssue(source, None, f"is not valid YAML: {error}")]) from None
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), dict):
        raise FlowValidationError([FlowIssue(source, None, "must be a mapping with a `nodes` map")])
    nodes, issues = _validate_nodes(document["nodes"], source)
    header = {key: value for key, value in document.items() if key != "nodes"}
    header.setdefault("id", default_id or Path(source).stem)
    try:
        flow = Flow.model_validate({**header, "nodes": nodes})
    except ValidationError as error:
        issues += [FlowIssue(source, None, message) for message in _messages(error, tag=None)]
    if issues:
        raise FlowValidationError(issues)
    issues = [FlowIssue(source, node_id, message) for node_id, message in graph_issues(flow)]
    if issues:
        raise FlowValidationError(issues)
    return flow


def _validate_nodes(raw: dict[Any, Any], source: str) -> tuple[dict[str, Node], list[FlowIssue]]:
    nodes: dict[str, Node] = {}
    issues: list[FlowIssue] = []
    for node_id, body in raw.items():
        if not isinstance(node_id, str):
            issues.append(FlowIssue(source, str(node_id), "node ids must be text (quote it)"))
            continue
        try:
            nodes[node_id] = _NODE.validate_python(body)
        except ValidationError as error:
            tag = body.get("type") if isinstance(body, dict) else None
            issues += [FlowIssue(source, node_id, message) for message in _messages(error, tag)]
    return nodes, issues


def _messages(error: ValidationError, tag: Any) -> list[str]:
    messages = []
    for detail in error.errors():
        location = list(detail["loc"])
        if location and location[0] == tag:  # pydantic puts the union tag first; the reader knows it
            location = location[1:]
        message = detail["msg"].removeprefix("Value error, ")
        field = ".".join(str(part) for part in location)
        messages.append(f"field '{field}': {message}" if field else message)
    return messages
