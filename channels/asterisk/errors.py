"""Errors raised by the Asterisk adapters, each with a stable code."""

from __future__ import annotations


class AsteriskError(Exception):
    """Base of every error of the Asterisk adapters."""

    code = "asterisk_error"


class AmiError(AsteriskError):
    code = "ami_error"


class AmiNotConnected(AmiError):
    """No live, logged-in AMI link right now; the action was not sent."""

    code = "ami_not_connected"


class AmiConnectionLost(AmiError):
    """The link died while the action waited; it is failed, never re-sent on the next link."""

    code = "ami_connection_lost"


class AmiActionTimeout(AmiError):
    """Asterisk did not answer the action in time."""

    code = "ami_action_timeout"


class AmiActionFailed(AmiError):
    """Asterisk answered ``Response: Error`` (or another non-success)."""

    code = "ami_action_failed"


class AmiAuthenticationFailed(AmiError):
    code = "ami_authentication_failed"


class MalformedAmiEvent(AmiError):
    """An event we type had a missing or unreadable field."""

    code = "ami_malformed_event"


class AgiError(AsteriskError):
    code = "agi_error"


class CallHungUp(AgiError):
    """The caller hung up (``HANGUP`` line, ``result=-1``, ``511``, or the socket closed)."""

    code = "agi_call_hung_up"


class AgiCommandTimeout(AgiError):
    code = "agi_command_timeout"


class AgiCommandFailed(AgiError):
    """Asterisk rejected the command (``510`` unknown command, ``520`` usage error...)."""

    code = "agi_command_failed"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
