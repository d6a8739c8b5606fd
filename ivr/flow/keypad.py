"""Nodes that ask the caller for keys (menu, collect, callback confirmation) and their retries."""

from __future__ import annotations

from ivr.flow.actions import Gather, PromptAction, Say, SayDigits, ScheduleCallback
from ivr.flow.events import Digits, Event
from ivr.flow.run import CallRun, Next, Stop
from ivr.flow.schema import CallbackNode, CollectNode, MenuNode
from ivr.flow.templates import digits_only, e164_colombia, national_number

KeypadNode = MenuNode | CollectNode | CallbackNode


def enter_keypad(node: KeypadNode, run: CallRun) -> Next:
    if isinstance(node, CallbackNode):
        number = run.variables.get(node.number_variable) or run.variables.get("caller", "")
        if not digits_only(number) and node.change_number is not None:
            return node.change_number  # withheld caller id: ask for a number straight away
        run.variables[node.number_variable] = number
    run.emit(_gather(node, run))
    return Stop.WAIT


def react_keypad(node: KeypadNode, run: CallRun, event: Event) -> Next:
    keys = event.digits.strip() if isinstance(event, Digits) else ""
    if keys:
        chosen = _choose(node, run, keys)
        if chosen is not None:
            run.clear_retries()
            return chosen
    return _retry_or_fallback(node, run, silent=not keys)


def _choose(node: KeypadNode, run: CallRun, keys: str) -> str | None:
    """The next node for valid keys (recording what they mean), or None when they are invalid."""
    if isinstance(node, MenuNode):
        choice = node.options.get(keys)
        if choice is None:
            return None
        run.assign(choice.assign)
        return choice.next
    if isinstance(node, CollectNode):
        digits = keys.removesuffix(node.finish_on_key) if node.finish_on_key else keys
        if digits != digits_only(digits) or not node.min_digits <= len(digits) <= node.max_digits:
            return None
        run.variables[node.variable] = digits
        return node.next
    if keys == node.confirm_key:
        number = e164_colombia(run.variables.get(node.number_variable, ""))
        run.emit(ScheduleCallback(node.queue, number))
        return node.next
    if keys == node.change_key and node.change_number is not None:
        return node.change_number
    return None


def _retry_or_fallback(node: KeypadNode, run: CallRun, *, silent: bool) -> Next:
    if run.fail() >= node.retries:
        run.clear_retries()
        return node.fallback
    run.say(node.on_no_input if silent else node.on_invalid)
    run.emit(_gather(node, run))
    return Stop.WAIT


def _gather(node: KeypadNode, run: CallRun) -> Gather:
    if isinstance(node, CollectNode):
        prompt = (Say(run.text(node.prompt)),)
        return Gather(prompt, node.min_digits, node.max_digits, node.timeout, node.finish_on_key)
    if isinstance(node, CallbackNode):
        number = national_number(run.variables.get(node.number_variable, ""))
        readback: tuple[PromptAction, ...] = (
            Say(run.text(node.prompt)),
            SayDigits(number),
            Say(run.text(node.confirm_prompt)),
        )
        return Gather(readback, 1, 1, node.timeout, "")
    # One key per menu choice, and no finish key so that '#' and '*' can be options.
    return Gather((Say(run.text(node.prompt)),), 1, 1, node.timeout, "")
