"""Graph checks of a flow: references, reachability, loops that never wait for the caller."""

from __future__ import annotations

from collections import deque

from ivr.flow.schema import Flow

Issue = tuple[str | None, str]  # (node id or None, message)


def graph_issues(flow: Flow) -> list[Issue]:
    """Every graph problem of a flow whose nodes each validated on their own."""
    issues = _unknown_references(flow)
    if flow.start not in flow.nodes:
        issues.append((flow.start, "the start node is not defined in `nodes`"))
    else:
        issues += _unreachable(flow)
    issues += _silent_cycles(flow)
    return issues


def _unknown_references(flow: Flow) -> list[Issue]:
    return [
        (node_id, f"{label} points to unknown node '{target}'")
        for node_id, node in flow.nodes.items()
        for label, target in node.targets().items()
        if target not in flow.nodes
    ]


def _unreachable(flow: Flow) -> list[Issue]:
    # An error rather than a warning: a node nobody can reach is almost always a mistyped reference,
    # and flows load at start-up where a loud failure is cheap.
    seen = {flow.start}
    pending = deque([flow.start])
    while pending:
        for target in flow.nodes[pending.popleft()].targets().values():
            if target in flow.nodes and target not in seen:
                seen.add(target)
                pending.append(target)
    return [
        (node_id, f"is unreachable from the start node '{flow.start}'")
        for node_id in flow.nodes
        if node_id not in seen
    ]


def _silent_cycles(flow: Flow) -> list[Issue]:
    """Cycles made only of nodes that never wait for the caller would spin forever in one call."""
    quiet = {node_id for node_id, node in flow.nodes.items() if not node.waits_for_caller}
    edges = {
        node_id: sorted({t for t in flow.nodes[node_id].targets().values() if t in quiet})
        for node_id in quiet
    }
    visiting: set[str] = set()
    done: set[str] = set()
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(node_id: str) -> None:
        visiting.add(node_id)
        path.append(node_id)
        for target in edges[node_id]:
            if target in visiting:
                cycles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target)
        path.pop()
        visiting.discard(node_id)
        done.add(node_id)

    for node_id in sorted(quiet):
        if node_id not in done:
            visit(node_id)
    return [
        (cycle[0], "loops without waiting for any caller input: " + " -> ".join(cycle)) for cycle in cycles
    ]
