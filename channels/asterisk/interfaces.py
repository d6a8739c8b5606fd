"""Queue member interfaces of officials, from a template (`ASTERISK_MEMBER_INTERFACE`).

Cities run PJSIP, SIP or IAX2 phones, or ring them through the dialplan with Local channels; the
template names an official's phone with `{id}` (`PJSIP/official-{id}`, `IAX2/official-{id}`,
`Local/official-{id}@agentes`). The same template turns a member interface that app_queue reports
(AgentConnect, QueueStatus, MEMBERINTERFACE) back into the official's id.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TEMPLATE = "PJSIP/official-{id}"


@dataclass(frozen=True)
class MemberInterface:
    template: str = DEFAULT_TEMPLATE

    def __post_init__(self) -> None:
        if self.template.count("{id}") != 1:
            raise ValueError(f"member interface template {self.template!r} needs one {{id}}")

    @property
    def _parts(self) -> tuple[str, str]:
        head, _, tail = self.template.partition("{id}")
        return head, tail

    def of(self, official_id: int) -> str:
        """The interface of an official's phone."""
        head, tail = self._parts
        return f"{head}{official_id}{tail}"

    def official(self, interface: str) -> int | None:
        """`PJSIP/official-12` -> 12; a member that is not one of our officials -> None."""
        head, tail = self._parts
        if not interface.startswith(head) or not interface.endswith(tail):
            return None
        middle = interface[len(head) : len(interface) - len(tail)]
        return int(middle) if middle.isascii() and middle.isdigit() else None

    def ours(self, interface: str) -> bool:
        return self.official(interface) is not None


DEFAULT = MemberInterface()
