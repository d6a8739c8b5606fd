"""What wakes the supervisor feed: the events published after a commit, in this process and in
the others.

Every change a supervisor sees — a work item queued, offered, accepted or ended, a presence, a
PQRD filed, updated or escalated — publishes an event after its commit, or the router's internal
`routing.changed`. Another process's routing change reaches this process's engine by the router's
NOTIFY (PostgreSQL), and the engine's pass publishes `stats.queues` here, through the watch; with
Redis every other event of another process (a PQRD reassigned, an escalation by the worker) passes
through this process's socket.io manager, which tells the feed too. What no signal reaches shows
at the feed's slow refresh. Chat traffic (messages, typing, queue positions) changes nothing on the
dashboard and does not wake it, so a busy chat costs the dashboard nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from contact_center.core.events import Event
from contact_center.core.notifier import Notifier

# Events that never change a figure of the dashboard (a position follows a routing change anyway).
QUIET_EVENTS = frozenset({"message", "typing", "queue.position", "error"})


def concerns_supervisors(events: Sequence[Event]) -> bool:
    return any(event.name not in QUIET_EVENTS for event in events)


class ChangeWatch:
    """The app's notifier, which also tells `on_change` when a published event may matter to a
    supervisor. Installed before the database, so every unit of work publishes through it."""

    def __init__(self, inner: Notifier) -> None:
        self.inner = inner
        self.on_change: Callable[[], None] = lambda: None

    async def publish(self, events: Sequence[Event]) -> None:
        if concerns_supervisors(events):
            self.on_change()
        await self.inner.publish(events)
