"""The mutable working copy of a call's state while one event is applied.

`advance` copies a frozen `FlowState` into a `CallRun`, lets the node handlers mutate it and collect
actions, then freezes it again, so the interpreter stays a pure function of (flow, state, event).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from ivr.flow.actions import Action, Say
from ivr.flow.schema import Flow
from ivr.flow.state import FlowState, Transition
from ivr.flow.templates import render


class Stop(Enum):
    """What a node handler returns instead of a node id: wait for an event, or end the flow."""

    WAIT = "wait"
    END = "end"


Next = str | Stop


@dataclass
class CallRun:
    flow: Flow
    node: str
    step: int
    started: bool
    finished: bool
    variables: dict[str, str]
    retries: dict[str, int]
    phase: str
    hold_updates: int
    callback_offered: bool
    actions: list[Action] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)

    @classmethod
    def resume(cls, flow: Flow, state: FlowState) -> CallRun:
        return cls(
            flow=flow,
            node=state.node,
            step=state.step + 1,
            started=state.started,
            finished=state.finished,
            variables=dict(state.variables),
            retries=dict(state.retries),
            phase=state.phase,
            hold_updates=state.hold_updates,
            callback_offered=state.callback_offered,
        )

    def freeze(self) -> FlowState:
        return FlowState(
            flow_id=self.flow.id,
            node=self.node,
            step=self.step,
            started=self.started,
            finished=self.finished,
            variables=self.variables,
            retries=self.retries,
            phase=self.phase,
            hold_updates=self.hold_updates,
            callback_offered=self.callback_offered,
            last_actions=tuple(self.actions),
        )

    def text(self, template: str) -> str:
        return render(template, self.variables)

    def emit(self, *actions: Action) -> None:
        self.actions.extend(actions)

    def say(self, template: str | None) -> None:
        if template is not None:
            self.emit(Say(self.text(template)))

    def assign(self, templates: dict[str, str]) -> None:
        self.variables.update({name: self.text(value) for name, value in templates.items()})

    def fail(self) -> int:
        """Count one more failed attempt at the current node; returns the count so far."""
        self.retries[self.node] = self.retries.get(self.node, 0) + 1
        return self.retries[self.node]

    def clear_retries(self) -> None:
        # Counters count consecutive failures, so success or fallback clears them; they survive
        # leaving the node otherwise, which lets "not found, try again" loops end in a fallback.
        self.retries.pop(self.node, None)

    def move(self, target: str, cause: str) -> None:
        origin = self.node if self.started else None
        self.transitions.append(Transition(self.step, origin, target, cause))
        self.node, self.started, self.phase = target, True, ""

    def end(self, cause: str) -> None:
        origin = self.node if self.started else None
        self.transitions.append(Transition(self.step, origin, None, cause))
        self.finished, self.phase = True, ""
