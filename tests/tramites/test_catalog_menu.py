"""The `catalog_menu` IVR node with the pure interpreter: pages, keys, retries, an empty catalogue,
and the format's validation."""

from __future__ import annotations

import pytest

from ivr.flow import (
    CallStarted,
    Digits,
    FlowValidationError,
    Gather,
    HoursResult,
    Lookup,
    LookupResult,
    NoInput,
    Say,
    advance,
    new_call,
    parse_flow,
)
from ivr.flow.state import FlowState

FLOW = """
id: t
start: inicio
nodes:
  inicio:
    type: business_hours
    schedule: linea195
    open: menu
    closed: fin
  menu:
    type: catalog_menu
    operation: tramites_menu
    prompt: Trámites.
    variable: tramite
    page_size: 2
    retries: 2
    next: elegido
    back: fin
    empty: vacio
    fallback: fin
  elegido:
    type: say
    text: "Eligió {tramite}."
    next: fin
  vacio:
    type: say
    text: No hay trámites.
    next: fin
  fin:
    type: hangup
"""


def start() -> tuple[object, FlowState]:
    flow = parse_flow(FLOW, source="t.yaml")
    state = advance(flow, new_call(flow), CallStarted("+573001234567")).state
    result = advance(flow, state, HoursResult(True))
    assert result.actions == (Lookup("tramites_menu", {"pagina": "1", "por_pagina": "2"}),)
    return flow, result.state


def page(options: str, more: bool) -> LookupResult:
    spoken = " ".join(f"Para {o}, marque {n}." for n, o in enumerate(options.split(), start=1))
    return LookupResult(
        True, {"catalogo_opciones": options, "catalogo_menu": spoken, "catalogo_mas": "si" if more else "no"}
    )


def said(actions: tuple[object, ...]) -> str:
    out = []
    for a in actions:
        if isinstance(a, Gather):
            out += [p.text for p in a.prompt if isinstance(p, Say)]
        elif isinstance(a, Say):
            out.append(a.text)
    return " ".join(out)


def test_pages_forward_and_a_choice_on_the_second_page() -> None:
    flow, state = start()
    first = advance(flow, state, page("a b", more=True))
    assert said(first.actions) == (
        "Trámites. Para a, marque 1. Para b, marque 2. Para escuchar más opciones, marque 8. "
        "Para repetir las opciones, marque asterisco. Para volver al menú principal, marque 9."
    )
    loading = advance(flow, first.state, Digits("8"))
    assert loading.actions == (Lookup("tramites_menu", {"pagina": "2", "por_pagina": "2"}),)
    second = advance(flow, loading.state, page("c", more=False))
    assert "marque 8" not in said(second.actions)
    assert advance(flow, second.state, Digits("8")).actions[0] == Say("La opción marcada no es válida.")
    chosen = advance(flow, second.state, Digits("1"))
    assert chosen.actions[0] == Say("Eligió c.")


def test_invalid_keys_and_silence_end_in_the_fallback() -> None:
    flow, state = start()
    state = advance(flow, state, page("a b", more=False)).state
    wrong = advance(flow, state, Digits("3"))  # only two options
    assert wrong.actions[0] == Say("La opción marcada no es válida.")
    done = advance(flow, wrong.state, NoInput())
    assert done.state.finished


def test_an_empty_catalogue_goes_to_empty() -> None:
    flow, state = start()
    result = advance(flow, state, LookupResult(False))
    assert result.actions[0] == Say("No hay trámites.")


def test_control_keys_must_not_collide_with_options() -> None:
    bad = FLOW.replace("page_size: 2", 'page_size: 7\n    more_key: "7"')
    with pytest.raises(FlowValidationError, match="more_key, back_key and repeat_key"):
        parse_flow(bad, source="t.yaml")
