"""Errors of the IVR core: a flow file that does not validate, and an event the call cannot take."""

from __future__ import annotations

from dataclasses import dataclass

from contact_center.core.errors import Conflict


@dataclass(frozen=True)
class FlowIssue:
    """One problem in a flow file, located by file and (when it has one) node id."""

    source: str
    node: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: node '{self.node}'" if self.node else self.source
        return f"{where}: {self.message}"


class FlowValidationError(ValueError):
    """A flow file is invalid; raised at load so a broken flow never answers a call."""

    def __init__(self, issues: list[FlowIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in issues))


class UnexpectedEvent(Conflict):
    """The event does not fit the call's current node or step (a host or adapter bug, or a race)."""

    code = "ivr_unexpected_event"
