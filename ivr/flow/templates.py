"""Prompt templates ("Su radicado es {radicado}") and the Spanish phrases the interpreter builds.

Templates are checked at load and rendered by hand rather than with `str.format`, so a prompt can
only name a variable: no attribute access, indexing or format specs come in from a YAML file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from string import Formatter

from contact_center.core.spanish_dates import day_month_year

VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def placeholders(template: str) -> list[str]:
    """The variable names a template uses; raises ValueError on a malformed template."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError as error:
        raise ValueError(f"malformed template {template!r}: {error}") from None
    names = []
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if not VARIABLE_NAME.fullmatch(name) or spec or conversion:
            raise ValueError(f"bad placeholder {{{name}}} in {template!r}; write {{variable}}")
        names.append(name)
    return names


def check_template(template: str) -> str:
    placeholders(template)
    return template


def render(template: str, variables: Mapping[str, str]) -> str:
    """Fill a template; a variable the host never set reads as empty: the call goes on."""
    rendered = []
    for literal, name, _spec, _conversion in Formatter().parse(template):
        rendered.append(literal)
        if name is not None:
            rendered.append(variables.get(name, ""))
    return "".join(rendered)


def spanish_date(day: date) -> str:
    """'3 de marzo de 2026', as a caller expects to hear a date."""
    return day_month_year(day)


def spoken_wait(eta_seconds: int) -> str:
    """An estimated wait rounded up to whole minutes, never 'cero minutos'."""
    minutes = max(1, -(-eta_seconds // 60))
    return "un minuto" if minutes == 1 else f"{minutes} minutos"


def digits_only(value: str) -> str:
    return "".join(char for char in value if char in "0123456789")


def national_number(number: str) -> str:
    """The digits a Colombian caller recognizes as their number: E.164 without the +57 prefix."""
    digits = digits_only(number)
    return digits[2:] if number.startswith("+57") else digits


def e164_colombia(number: str) -> str:
    """A number keyed on the phone (10 digits since the 2021 numbering plan) in E.164."""
    if number.startswith("+"):
        return "+" + digits_only(number)
    digits = digits_only(number)
    return "+57" + digits if len(digits) == 10 else digits
