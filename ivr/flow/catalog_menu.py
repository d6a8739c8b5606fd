"""`catalog_menu`: a keypad menu whose options the host generates, page by page (the trámites menu
of the 195 line, built from the published catalogue, most consulted first).

On entry the node asks the host with `Lookup(operation, {"pagina", "por_pagina"})`; the answer's
variables carry the page: `catalogo_opciones` (the values of keys 1..n, space-separated),
`catalogo_menu` (the spoken options, "Para impuesto predial, marque 1. ...") and `catalogo_mas`
("si" when a next page exists). The caller then picks an option (its value goes to `variable`),
asks for the next page, repeats the options, or goes back. A trámite published after the call
started shows up on the next page load: nothing is cached in the flow.

The node's behaviour is in `ivr.flow.catalog_nodes`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ivr.flow.templates import VARIABLE_NAME, check_template

_Prompt = Annotated[str, Field(min_length=1), AfterValidator(check_template)]
_Key = Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"]


class CatalogMenuNode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waits_for_caller: ClassVar[bool] = True

    type: Literal["catalog_menu"]
    operation: str = Field(min_length=1)
    prompt: _Prompt  # said before the generated options
    variable: Annotated[str, Field(pattern=VARIABLE_NAME.pattern + "$")]
    page_size: int = Field(default=5, ge=1, le=7)
    more_key: _Key = "8"
    more_prompt: _Prompt = "Para escuchar más opciones, marque 8."
    back_key: _Key = "9"
    back_prompt: _Prompt = "Para volver al menú principal, marque 9."
    repeat_key: _Key = "*"
    repeat_prompt: _Prompt = "Para repetir las opciones, marque asterisco."
    timeout: int = Field(default=6, ge=1, le=60)
    retries: int = Field(default=3, ge=1, le=10)
    on_invalid: _Prompt = "La opción marcada no es válida."
    on_no_input: _Prompt = "No recibimos ninguna opción."
    next: str = Field(min_length=1)
    back: str = Field(min_length=1)
    empty: str = Field(min_length=1)
    fallback: str = Field(min_length=1)

    @model_validator(mode="after")
    def _keys_apart(self) -> CatalogMenuNode:
        options = {str(n) for n in range(1, self.page_size + 1)}
        controls = [self.more_key, self.back_key, self.repeat_key]
        if len(set(controls)) != 3 or options & set(controls):
            raise ValueError(
                "more_key, back_key and repeat_key must differ from each other and from 1..page_size"
            )
        return self

    def targets(self) -> dict[str, str]:
        return {"next": self.next, "back": self.back, "empty": self.empty, "fallback": self.fallback}
