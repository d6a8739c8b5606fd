"""Queue configuration, validated when loaded, and its compiled form the indexes use.

A queue's time steps are measured from the moment the item was enqueued (its wait):

* `relax`: from then on every required level is at most `to_level` (Wazo's "waited > 60 s:
  Spanish > 0", Asterisk widening penalties). Later relaxations must go lower.
* `overflow`: the item also becomes eligible in `target_queue_id`, under that queue's own base
  requirements (it keeps its home queue too, and its priority and place in line).
* `callback`: the core only reports that the step fired; the channel offers a callback (voice)
  or leaves the conversation as a PQRD.

Each queue has stages: stage 0 is the base requirement and stage k the requirement after its k-th
relaxation. Because relaxing only lowers levels, an official meeting stage s meets every later one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    model_validator,
)

from routing.core.instants import seconds_to_micros
from routing.core.model import SkillLevel

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class StepKind(StrEnum):
    RELAX = "relax"
    OVERFLOW = "overflow"
    CALLBACK = "callback"


class RelaxStep(BaseModel):
    model_config = _FROZEN
    kind: Literal[StepKind.RELAX] = StepKind.RELAX
    after_seconds: PositiveFloat
    to_level: SkillLevel


class OverflowStep(BaseModel):
    model_config = _FROZEN
    kind: Literal[StepKind.OVERFLOW] = StepKind.OVERFLOW
    after_seconds: PositiveFloat
    target_queue_id: str = Field(min_length=1)


class CallbackStep(BaseModel):
    model_config = _FROZEN
    kind: Literal[StepKind.CALLBACK] = StepKind.CALLBACK
    after_seconds: PositiveFloat


TimeStep = Annotated[RelaxStep | OverflowStep | CallbackStep, Field(discriminator="kind")]


class ServiceLevel(BaseModel):
    """`percent` of items answered within `threshold_seconds` (reported elsewhere, kept here)."""

    model_config = _FROZEN
    threshold_seconds: PositiveFloat
    percent: float = Field(gt=0, le=100)


class QueueConfig(BaseModel):
    model_config = _FROZEN

    queue_id: str = Field(min_length=1)
    required_skills: dict[str, SkillLevel] = Field(default_factory=dict)
    priority: int = 0
    service_level: ServiceLevel = ServiceLevel(threshold_seconds=20, percent=80)
    steps: tuple[TimeStep, ...] = ()
    wrap_up_seconds: NonNegativeFloat = 0

    @model_validator(mode="after")
    def _steps_make_sense(self) -> QueueConfig:
        _check_increasing(self.queue_id, self.steps)
        _check_relaxations(self.queue_id, self.steps)
        _check_overflows(self.queue_id, self.steps)
        return self


class RoutingConfig(BaseModel):
    model_config = _FROZEN

    queues: tuple[QueueConfig, ...]
    # Consecutive rejected or timed-out offers after which the official is set away.
    missed_offers_before_away: PositiveInt = 1

    @model_validator(mode="after")
    def _queues_are_consistent(self) -> RoutingConfig:
        ids = [queue.queue_id for queue in self.queues]
        duplicates = sorted({queue_id for queue_id in ids if ids.count(queue_id) > 1})
        if duplicates:
            raise ValueError(f"queue ids must be unique, repeated: {duplicates}")
        for queue in self.queues:
            for step in queue.steps:
                if isinstance(step, OverflowStep) and step.target_queue_id not in ids:
                    raise ValueError(
                        f"queue {queue.queue_id!r} overflows to unknown queue {step.target_queue_id!r}"
                    )
        return self


def _check_increasing(queue_id: str, steps: tuple[TimeStep, ...]) -> None:
    times = [step.after_seconds for step in steps]
    if any(later <= earlier for earlier, later in pairwise(times)):
        raise ValueError(f"queue {queue_id!r}: step times must strictly increase, got {times}")


def _check_relaxations(queue_id: str, steps: tuple[TimeStep, ...]) -> None:
    levels = [step.to_level for step in steps if isinstance(step, RelaxStep)]
    if any(later >= earlier for earlier, later in pairwise(levels)):
        raise ValueError(f"queue {queue_id!r}: each relaxation must lower the level further, got {levels}")


def _check_overflows(queue_id: str, steps: tuple[TimeStep, ...]) -> None:
    targets = [step.target_queue_id for step in steps if isinstance(step, OverflowStep)]
    if queue_id in targets:
        raise ValueError(f"queue {queue_id!r} cannot overflow to itself")
    if len(set(targets)) != len(targets):
        raise ValueError(f"queue {queue_id!r} overflows twice to the same queue: {targets}")


Requirement = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class CompiledStep:
    offset_us: int
    kind: StepKind
    stage: int  # the home stage once this step has fired
    target_queue_id: str | None


@dataclass(frozen=True, slots=True)
class CompiledQueue:
    queue_id: str
    priority: int
    stages: tuple[Requirement, ...]
    steps: tuple[CompiledStep, ...]
    wrap_up_us: int
    skill_names: tuple[str, ...]

    def qualifying_stage(self, skills: Mapping[str, int]) -> int | None:
        """The earliest stage whose requirement these skills meet (then every later one too)."""
        for stage, requirement in enumerate(self.stages):
            if meets(skills, requirement):
                return stage
        return None

    def skill_score(self, skills: Mapping[str, int]) -> int:
        """Sum of the official's levels on this queue's skills: the "highest level" tie-break."""
        return sum(skills.get(name, 0) for name in self.skill_names)


def meets(skills: Mapping[str, int], requirement: Requirement) -> bool:
    return all(skills.get(name, 0) >= level for name, level in requirement)


def compile_queue(queue: QueueConfig) -> CompiledQueue:
    base: Requirement = tuple(sorted(queue.required_skills.items()))
    stages = [base]
    steps = []
    for step in queue.steps:
        target = None
        if isinstance(step, RelaxStep):
            stages.append(tuple((name, min(level, step.to_level)) for name, level in base))
        elif isinstance(step, OverflowStep):
            target = step.target_queue_id
        steps.append(CompiledStep(seconds_to_micros(step.after_seconds), step.kind, len(stages) - 1, target))
    return CompiledQueue(
        queue_id=queue.queue_id,
        priority=queue.priority,
        stages=tuple(stages),
        steps=tuple(steps),
        wrap_up_us=seconds_to_micros(queue.wrap_up_seconds),
        skill_names=tuple(name for name, _ in base),
    )
