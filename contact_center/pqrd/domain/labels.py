"""Codes as a person reads them in messages and reports (the codes stay the stable keys of the API)."""

from __future__ import annotations

from types import MappingProxyType

from contact_center.pqrd.domain.tickets import STATUS_LABELS, TicketStatus

CHANNEL_LABELS = MappingProxyType(
    {
        "web": "Portal web",
        "app": "Aplicación móvil",
        "voice": "Línea 195 (llamada)",
        "chat": "Chat",
        "email": "Correo electrónico",
        "presencial": "Presencial",
        "import": "Sistema anterior (importado)",
    }
)


def channel_label(code: str) -> str:
    """The Spanish name of a channel code; an unknown code is shown as it is."""
    return CHANNEL_LABELS.get(code, code)


def status_label(code: str) -> str:
    """The Spanish label of a ticket status code ("en_tramite" -> "En trámite")."""
    try:
        return STATUS_LABELS[TicketStatus(code)]
    except ValueError:
        return code
