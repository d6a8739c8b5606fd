"""What a `catalog_menu` node does (its format is `ivr.flow.catalog_menu`): load a page from the
host, read the generated options, and act on the caller's key."""

from __future__ import annotations

from ivr.flow.actions import Gather, Lookup, PromptAction, Say
from ivr.flow.catalog_menu import CatalogMenuNode
from ivr.flow.events import Digits, Event, LookupResult, NoInput
from ivr.flow.run import CallRun, Next, Stop

LOADING = "catalog_loading"
OPTIONS = "catalogo_opciones"
SPOKEN = "catalogo_menu"
MORE = "catalogo_mas"


def _page_variable(node: CatalogMenuNode) -> str:
    return f"{node.variable}_pagina"


def enter(node: CatalogMenuNode, run: CallRun) -> Next:
    page = run.variables.get(_page_variable(node), "1")
    run.phase = LOADING
    run.emit(Lookup(node.operation, {"pagina": page, "por_pagina": str(node.page_size)}))
    return Stop.WAIT


def waiting_for(phase: str) -> tuple[type[Event], ...]:
    return (LookupResult,) if phase == LOADING else (Digits, NoInput)


def react(node: CatalogMenuNode, run: CallRun, event: Event) -> Next:
    if isinstance(event, LookupResult):
        return _page_loaded(node, run, event)
    keys = event.digits.strip() if isinstance(event, Digits) else ""
    options = run.variables.get(OPTIONS, "").split()
    if keys.isdigit() and 1 <= int(keys) <= len(options):
        run.variables[node.variable] = options[int(keys) - 1]
        run.clear_retries()
        return node.next
    if keys == node.more_key and run.variables.get(MORE) == "si":
        run.variables[_page_variable(node)] = str(int(run.variables.get(_page_variable(node), "1")) + 1)
        run.clear_retries()
        return enter(node, run)
    if keys == node.repeat_key:
        run.emit(_gather(node, run))
        return Stop.WAIT
    if keys == node.back_key:
        run.variables.pop(_page_variable(node), None)
        run.clear_retries()
        return node.back
    if run.fail() >= node.retries:
        run.clear_retries()
        run.variables.pop(_page_variable(node), None)
        return node.fallback
    run.say(node.on_invalid if keys else node.on_no_input)
    run.emit(_gather(node, run))
    return Stop.WAIT


def _page_loaded(node: CatalogMenuNode, run: CallRun, event: LookupResult) -> Next:
    run.phase = ""
    if not event.found:
        if run.variables.pop(_page_variable(node), None) is not None:
            return enter(node, run)  # the page emptied under the caller (archived): start again
        return node.empty
    run.variables.update({str(k): str(v) for k, v in event.variables.items()})
    run.emit(_gather(node, run))
    return Stop.WAIT


def _gather(node: CatalogMenuNode, run: CallRun) -> Gather:
    parts = [run.text(node.prompt), run.variables.get(SPOKEN, "")]
    if run.variables.get(MORE) == "si":
        parts.append(run.text(node.more_prompt))
    parts += [run.text(node.repeat_prompt), run.text(node.back_prompt)]
    prompt: tuple[PromptAction, ...] = (Say(" ".join(p for p in parts if p)),)
    return Gather(prompt, 1, 1, node.timeout, "")
