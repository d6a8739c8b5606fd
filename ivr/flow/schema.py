"""The IVR flow format: nodes keyed by id, each of one `type`, validated by pydantic at load.

Every node model forbids unknown keys, so a typo in a YAML file ("promt:") fails at start-up instead
of silently using a default during a call. `targets()` lists a node's outgoing references with the
label used in error messages; `waits_for_caller` marks the nodes where the caller acts (keys, voice,
holding in a queue), which the graph check needs to reject loops that never wait for the caller.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ivr.flow.catalog_menu import CatalogMenuNode
from ivr.flow.templates import VARIABLE_NAME, check_template, placeholders

# PQRD type codes of the legal clock (DESIGN §4) that a caller can file by voice.
PQRD_TYPES = frozenset(
    {
        "peticion",
        "peticion_documentos",
        "consulta",
        "peticion_autoridad",
        "queja",
        "reclamo",
        "denuncia",
        "sugerencia",
        "felicitacion",
    }
)
KEYPAD_KEYS = frozenset("0123456789*#")

Prompt = Annotated[str, Field(min_length=1), AfterValidator(check_template)]
VariableName = Annotated[str, Field(pattern=VARIABLE_NAME.pattern + "$")]
NodeId = Annotated[str, Field(min_length=1)]
Seconds = Annotated[int, Field(ge=1, le=60)]
Key = Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"]


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waits_for_caller: ClassVar[bool] = False

    def targets(self) -> dict[str, str]:
        """Outgoing references, label -> node id; the label names the field in error messages."""
        return {}


class SayNode(_Node):
    type: Literal["say"]
    text: Prompt
    next: NodeId

    def targets(self) -> dict[str, str]:
        return {"next": self.next}


class PlayNode(_Node):
    """A recording by name; `text` is read instead while the recording does not exist yet."""

    type: Literal["play"]
    sound: str = Field(min_length=1)
    text: Prompt | None = None
    next: NodeId

    def targets(self) -> dict[str, str]:
        return {"next": self.next}


class SetNode(_Node):
    type: Literal["set"]
    variables: dict[VariableName, Prompt]
    next: NodeId

    def targets(self) -> dict[str, str]:
        return {"next": self.next}


class SayDigitsNode(_Node):
    """Reads a variable one digit at a time (a radicado, a phone number)."""

    type: Literal["say_digits"]
    prompt: Prompt | None = None
    variable: VariableName
    next: NodeId

    def targets(self) -> dict[str, str]:
        return {"next": self.next}


class _GatherNode(_Node):
    """Fields shared by the nodes that ask for keys and retry on a bad or missing answer."""

    waits_for_caller: ClassVar[bool] = True

    prompt: Prompt
    timeout: Seconds = 5
    retries: int = Field(default=3, ge=1, le=10, description="failed attempts before `fallback`")
    on_invalid: Prompt = "La opción marcada no es válida."
    on_no_input: Prompt = "No recibimos ninguna respuesta."
    fallback: NodeId


class MenuChoice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    next: NodeId
    assign: dict[VariableName, Prompt] = Field(default_factory=dict, alias="set")


class MenuNode(_GatherNode):
    type: Literal["menu"]
    options: dict[str, MenuChoice] = Field(min_length=1)

    @field_validator("options", mode="before")
    @classmethod
    def _options_in_short_form(cls, options: Any) -> Any:
        # YAML reads `1: menu_tramites` as an int key and a bare node id; accept both short forms.
        if not isinstance(options, dict):
            return options
        return {
            str(key): {"next": choice} if isinstance(choice, str) else choice
            for key, choice in options.items()
        }

    @field_validator("options")
    @classmethod
    def _keys_on_the_keypad(cls, options: dict[str, MenuChoice]) -> dict[str, MenuChoice]:
        for key in options:
            if key not in KEYPAD_KEYS:
                raise ValueError(f"option '{key}' is not a single keypad key (0-9, * or #)")
        return options

    def targets(self) -> dict[str, str]:
        labels = {f"option '{key}'": choice.next for key, choice in self.options.items()}
        return labels | {"fallback": self.fallback}


class CollectNode(_GatherNode):
    type: Literal["collect"]
    variable: VariableName
    min_digits: int = Field(default=1, ge=1, le=30)
    max_digits: int = Field(ge=1, le=30)
    finish_on_key: Literal["#", "*", ""] = "#"
    on_invalid: Prompt = "El número digitado no es válido."
    next: NodeId

    @model_validator(mode="after")
    def _digit_range(self) -> CollectNode:
        if self.min_digits > self.max_digits:
            raise ValueError(f"min_digits {self.min_digits} exceeds max_digits {self.max_digits}")
        return self

    def targets(self) -> dict[str, str]:
        return {"next": self.next, "fallback": self.fallback}


class CallbackNode(_GatherNode):
    """Reads back the number to call (the caller's own unless changed) and asks to confirm it."""

    type: Literal["callback"]
    queue: str = Field(min_length=1)
    number_variable: VariableName = "numero_devolucion"
    confirm_prompt: Prompt
    confirm_key: Key = "1"
    change_key: Key = "2"
    change_number: NodeId | None = None
    next: NodeId

    @model_validator(mode="after")
    def _distinct_keys(self) -> CallbackNode:
        if self.confirm_key == self.change_key:
            raise ValueError("confirm_key and change_key must differ")
        return self

    def targets(self) -> dict[str, str]:
        labels = {"next": self.next, "fallback": self.fallback}
        if self.change_number is not None:
            labels["change_number"] = self.change_number
        return labels


class LookupNode(_Node):
    """Asks the host for data (`radicado_status`); the result variables join the call's."""

    type: Literal["lookup"]
    operation: str = Field(min_length=1)
    input: VariableName
    found: NodeId
    not_found: NodeId
    retries: int | None = Field(default=None, ge=1, le=10, description="misses before fallback")
    fallback: NodeId | None = None

    @model_validator(mode="after")
    def _retries_need_fallback(self) -> LookupNode:
        if (self.retries is None) != (self.fallback is None):
            raise ValueError("retries and fallback go together")
        return self

    def targets(self) -> dict[str, str]:
        labels = {"found": self.found, "not_found": self.not_found}
        if self.fallback is not None:
            labels["fallback"] = self.fallback
        return labels


class BusinessHoursNode(_Node):
    """Open or closed now: the line's `schedule`, or, when `queue` is named, that routing queue's
    business hours (its `closed` prompt may say `{proxima_apertura}`)."""

    type: Literal["business_hours"]
    schedule: str = Field(min_length=1)
    queue: str | None = Field(default=None, min_length=1)
    open: NodeId
    closed: NodeId

    def targets(self) -> dict[str, str]:
        return {"open": self.open, "closed": self.closed}


class EnqueueNode(_Node):
    """Waits for an official, announcing the position; may offer a callback that keeps the turn."""

    waits_for_caller: ClassVar[bool] = True

    type: Literal["enqueue"]
    queue: str = Field(min_length=1)
    prompt: Prompt | None = None
    announce_every: int = Field(default=60, ge=10, le=600)
    hold_music: str = "musica_espera"
    position_prompt: Prompt = "Su turno en la fila es el {posicion}. El tiempo estimado es de {espera}."
    callback_after: int | None = Field(default=None, ge=0)
    callback_prompt: Prompt = "Si prefiere que le devolvamos la llamada sin perder su turno, marque 1."
    callback_key: Key = "1"
    callback_accepted: NodeId | None = None
    connected_prompt: Prompt | None = None

    @model_validator(mode="after")
    def _callback_needs_target(self) -> EnqueueNode:
        if (self.callback_after is None) != (self.callback_accepted is None):
            raise ValueError("callback_after and callback_accepted go together")
        return self

    def targets(self) -> dict[str, str]:
        return {} if self.callback_accepted is None else {"callback_accepted": self.callback_accepted}


class RecordNode(_Node):
    """Records a verbal PQRD; the host files it and returns the radicado into `variable`.

    `pqrd_type` and `anonymous` may be templates (`"{tipo_pqrd}"`) filled by an earlier menu choice.
    """

    waits_for_caller: ClassVar[bool] = True

    type: Literal["record"]
    prompt: Prompt
    max_seconds: int = Field(default=120, ge=5, le=600)
    min_seconds: int = Field(default=2, ge=0, le=60)
    pqrd_type: Prompt = "peticion"
    anonymous: bool | Prompt = False
    subject: Prompt | None = None
    variable: VariableName = "radicado"
    retries: int = Field(default=2, ge=1, le=10)
    on_no_input: Prompt = "No escuchamos su mensaje."
    next: NodeId
    fallback: NodeId

    @field_validator("pqrd_type")
    @classmethod
    def _known_type(cls, pqrd_type: str) -> str:
        if not placeholders(pqrd_type) and pqrd_type not in PQRD_TYPES:
            raise ValueError(f"unknown PQRD type '{pqrd_type}'; use one of {sorted(PQRD_TYPES)}")
        return pqrd_type

    @field_validator("anonymous")
    @classmethod
    def _flag_or_template(cls, anonymous: bool | str) -> bool | str:
        if isinstance(anonymous, str) and not placeholders(anonymous):
            raise ValueError("anonymous must be true, false or a template such as '{anonimo}'")
        return anonymous

    def targets(self) -> dict[str, str]:
        return {"next": self.next, "fallback": self.fallback}


class TransferNode(_Node):
    type: Literal["transfer"]
    prompt: Prompt | None = None
    queue: str | None = None
    official: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> TransferNode:
        if (self.queue is None) == (self.official is None):
            raise ValueError("a transfer names exactly one of queue or official")
        return self


class HangupNode(_Node):
    type: Literal["hangup"]
    prompt: Prompt | None = None


Node = Annotated[
    SayNode
    | PlayNode
    | SetNode
    | SayDigitsNode
    | MenuNode
    | CollectNode
    | CallbackNode
    | LookupNode
    | BusinessHoursNode
    | EnqueueNode
    | RecordNode
    | TransferNode
    | HangupNode
    | CatalogMenuNode,
    Field(discriminator="type"),
]


class Flow(BaseModel):
    """A validated flow. Build it with `parse_flow`/`load_flows`, which also check the graph."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    description: str = ""
    language: str = "es-CO"
    start: NodeId
    nodes: dict[str, Node]
