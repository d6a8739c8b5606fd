"""Typed reads of AMI key/value messages (events and list items)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from channels.asterisk.errors import MalformedAmiEvent

# Asterisk writes these where a caller id or id is absent; the domain wants "no value".
_ABSENT = frozenset({"", "<unknown>", "<null>", "unknown"})


class Fields:
    """Case-insensitive, typed view of one AMI message.

    AMI is not consistent about case across versions ("Uniqueid" vs "UniqueID"), and panoramisk
    hands us its own case-insensitive dict while tests may hand plain dicts: lower-case once here.
    """

    __slots__ = ("_data", "name")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._data: dict[str, Any] = {str(k).lower(): v for k, v in raw.items()}
        self.name = self.text("event", "")

    def text(self, key: str, default: str | None = None) -> str:
        value = self._data.get(key)
        if value is None:
            if default is None:
                raise MalformedAmiEvent(f"{self.name or 'message'} without {key}")
            return default
        if isinstance(value, list):  # a repeated header: the last one wins, as in Asterisk
            value = value[-1] if value else ""
        return str(value).strip()

    def optional(self, key: str) -> str | None:
        value = self.text(key, "")
        return None if value in _ABSENT else value

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.text(key, "" if default is not None else None)
        if value == "" and default is not None:
            return default
        try:
            return int(value)
        except ValueError:
            raise MalformedAmiEvent(f"{self.name}: {key}={value!r} is not an integer") from None

    def flag(self, key: str) -> bool:
        return self.text(key, "0").lower() in {"1", "true", "yes", "on"}

    def timestamp(self) -> float | None:
        # Present only with timestampevents=yes in manager.conf (our sample sets it).
        value = self.text("timestamp", "")
        try:
            return float(value) if value else None
        except ValueError:
            return None
