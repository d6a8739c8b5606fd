"""The persisted place of one call in a flow, and the record of each transition for the log."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from ivr.flow.actions import Action


class FlowState(BaseModel):
    """Where a call is. The host stores `to_json()` per call so a restart does not lose the call.

    `step` counts the events applied so far. An adapter tags what it renders with `step` (for
    example in a Twilio action URL) and passes it back to `advance(..., step=N)`: an event for an
    older step is a replay and changes nothing.
    """

    # Unknown keys are ignored, not refused: a state stored by an older release must still load, and
    # the action dataclasses' `kind` tag is not an __init__ argument (it is the union discriminator).
    model_config = ConfigDict(extra="ignore", frozen=True)

    flow_id: str
    node: str
    step: int = 0
    started: bool = False
    finished: bool = False
    variables: dict[str, str] = Field(default_factory=dict)
    retries: dict[str, int] = Field(default_factory=dict, description="failed attempts per node")
    phase: str = Field(default="", description="where inside a multi-event node (record)")
    hold_updates: int = 0
    callback_offered: bool = False
    last_actions: tuple[Action, ...] = Field(
        default=(), description="what the last event produced, rendered again on a replay"
    )

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, data: str | bytes) -> FlowState:
        return cls.model_validate_json(data)


@dataclass(frozen=True)
class Transition:
    """One move between nodes; `from_node` is None when the call starts, `to_node` when it ends."""

    step: int
    from_node: str | None
    to_node: str | None
    cause: str  # the event's class name, or "next" for an automatic hop


@dataclass(frozen=True)
class Advance:
    """The result of `advance`: the new state, the actions to render, and the moves made."""

    state: FlowState
    actions: tuple[Action, ...]
    transitions: tuple[Transition, ...]
    replayed: bool = False
