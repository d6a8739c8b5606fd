"""Typed settings for the Asterisk adapters.

The host reads the environment (``AMI_HOST``, ``AGI_PORT``...) once at start-up and builds these;
nothing in this package reads the environment, so tests inject short timeouts directly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AmiConfig:
    """Where and how to reach the Asterisk Manager Interface."""

    host: str
    port: int
    username: str
    secret: str
    # "on" lets Asterisk send every class the user may read; manager.conf narrows it.
    events: str = "on"
    connect_timeout: float = 5.0
    action_timeout: float = 10.0
    ping_interval: float = 10.0
    ping_timeout: float = 5.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "action_timeout", "ping_interval", "ping_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if not 0 < self.backoff_initial <= self.backoff_max:
            raise ValueError("need 0 < backoff_initial <= backoff_max")

    def __repr__(self) -> str:
        # The secret must never reach a log line through a repr.
        return f"AmiConfig(host={self.host!r}, port={self.port}, username={self.username!r})"


@dataclass(frozen=True, slots=True)
class AgiConfig:
    """Where the FastAGI server listens (``AGI(agi://host:port/script)`` in the dialplan)."""

    host: str = "127.0.0.1"
    port: int = 4573
    # Asterisk sends the environment at once; a peer that does not is not Asterisk.
    environment_timeout: float = 5.0
    # Default per command; GET DATA adds the caller's own digit timeouts to it.
    command_timeout: float = 10.0
    # Prompts and applications (STREAM FILE, SAY DIGITS, EXEC) last as long as their audio.
    media_timeout: float = 300.0
