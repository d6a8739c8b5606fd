"""Officials' roles and presence, as the domain names them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


# Each role can do what the roles below it can; an admin can supervise, a supervisor can attend.
_RANK = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}


def role_allows(actual: Role, required: Role) -> bool:
    return _RANK[actual] >= _RANK[required]


class Presence(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    AWAY = "away"
    BUSY = "busy"
