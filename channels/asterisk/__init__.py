"""Asterisk adapters: AMI client (events, actions, resync) and FastAGI server.

The host wires these in its composition root; nothing here reads the environment or touches the
database. See ``ami.AmiClient``, ``agi.AgiServer`` / ``agi_session.AgiSession`` and ``events``.
"""

from channels.asterisk.agi import AgiHandler, AgiServer
from channels.asterisk.agi_protocol import AgiEnvironment, AgiReply
from channels.asterisk.agi_session import AgiSession
from channels.asterisk.ami import AmiClient, AmiResponse
from channels.asterisk.config import AgiConfig, AmiConfig
from channels.asterisk.errors import (
    AgiCommandFailed,
    AgiCommandTimeout,
    AgiError,
    AmiActionFailed,
    AmiActionTimeout,
    AmiAuthenticationFailed,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
    AsteriskError,
    CallHungUp,
)
from channels.asterisk.events import CallEvent, parse_event
from channels.asterisk.snapshots import ChannelSnapshot, QueueSnapshot

__all__ = [
    "AgiCommandFailed",
    "AgiCommandTimeout",
    "AgiConfig",
    "AgiEnvironment",
    "AgiError",
    "AgiHandler",
    "AgiReply",
    "AgiServer",
    "AgiSession",
    "AmiActionFailed",
    "AmiActionTimeout",
    "AmiAuthenticationFailed",
    "AmiClient",
    "AmiConfig",
    "AmiConnectionLost",
    "AmiError",
    "AmiNotConnected",
    "AmiResponse",
    "AsteriskError",
    "CallEvent",
    "CallHungUp",
    "ChannelSnapshot",
    "QueueSnapshot",
    "parse_event",
]
