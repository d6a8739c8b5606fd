"""One typed configuration object, read from the environment once at start-up.

Every variable of docs/configuration.md lives here. Errors are reported by variable name
(`ConfigError`), never as a traceback, so an operator knows what to fix.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_HOST_PORT = re.compile(r"([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]+)?")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# HMAC keys shorter than the hash's block of entropy (SHA-256: 32 bytes) can be brute-forced offline.
MIN_SECRET_BYTES = 32


class ConfigError(Exception):
    """The environment holds a value the service cannot start with."""


def normalize_database_url(url: str) -> str:
    """Map the usual spellings of a PostgreSQL or SQLite URL to their async drivers."""
    scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        raise ValueError("debe tener la forma esquema://... (postgresql://... o sqlite:///...)")
    driver = _ASYNC_DRIVERS.get(scheme.lower())
    if driver is None:
        raise ValueError(f"esquema no soportado {scheme!r}: use postgresql:// o sqlite:///")
    # `postgresql:///base?host=/var/run/postgresql` names the server by its Unix socket directory.
    if driver.startswith("postgresql") and rest.startswith("/") and "host=" not in rest:
        raise ValueError("falta el servidor de PostgreSQL (postgresql://usuario@servidor/base)")
    return f"{driver}://{rest}"


def _origin(value: str) -> str:
    """`scheme://host[:port]` (what browsers send as Origin), or ValueError saying what is wrong."""
    try:
        parts = urlsplit(value)
        bad_port = parts.port == 0  # reading the port raises ValueError when it is out of range
    except ValueError:
        bad_port = True
    if bad_port or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} no es un origen http(s)://servidor[:puerto]")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{value!r} debe ser solo esquema, servidor y puerto, sin ruta")
    if not _HOST_PORT.fullmatch(parts.netloc):
        # The origin goes into a CSP header: nothing but a host name or address and a port.
        raise ValueError(f"{value!r} no es un origen http(s)://servidor[:puerto]")
    return value


def split_origins(value: str) -> list[str]:
    """The comma-separated origins of ALLOWED_ORIGINS, without a trailing slash."""
    return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]


@lru_cache(maxsize=8)
def parse_networks(value: str) -> tuple[Network, ...]:
    """The comma-separated IP addresses and CIDR blocks of TRUSTED_PROXIES (cached: read per request)."""
    networks = []
    for item in (i.strip() for i in value.split(",")):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"{item!r} no es una dirección IP ni un bloque CIDR") from None
    return tuple(networks)


class Settings(BaseSettings):
    """The service's settings; field names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = ""
    redis_url: str | None = None
    redis_namespace: str = "pasto195"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_base_url: str = ""
    twilio_auth_token: str | None = None
    twilio_account_sid: str | None = None
    twilio_from_number: str | None = None
    twilio_api_base: str | None = None  # tests only: a local stand-in for https://api.twilio.com
    # The officials' softphone (Twilio Voice SDK in the console): an API key signs its access
    # tokens, and the TwiML App is what its outgoing calls would run (channels/twilio/voice_token.py).
    twilio_api_key_sid: str | None = None
    twilio_api_key_secret: str | None = None
    twilio_twiml_app_sid: str | None = None
    ami_host: str | None = None
    ami_port: int = Field(default=5038, ge=1, le=65535)
    ami_username: str | None = None
    ami_secret: str | None = None
    agi_host: str = "127.0.0.1"
    agi_port: int = Field(default=4573, ge=0, le=65535)
    # Asterisk: the queue members' interface of an official, `{id}` their id (PJSIP, SIP, IAX2 or a
    # Local channel through the dialplan); where Asterisk records verbal PQRDs (the app reads them);
    # the music-on-hold class callers hear while they wait.
    asterisk_member_interface: str = "PJSIP/official-{id}"
    asterisk_recording_dir: Path = Path("/var/spool/asterisk/recording")
    asterisk_hold_music_class: str = "default"
    # A callback the citizen did not answer (or the provider refused to place) is dialled again after
    # the delay, up to this many calls.
    callback_max_attempts: int = Field(default=3, ge=1, le=10)
    callback_retry_delay_seconds: float = Field(default=300.0, ge=0)
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "Alcaldía de Pasto - Línea 195 <no-responder@pasto.gov.co>"
    secret_key: str = ""
    data_dir: Path = Path("var")
    token_ttl_hours: float = Field(default=12.0, gt=0)
    log_format: Literal["json", "console"] = "json"
    log_level: str = "INFO"  # one of _LOG_LEVELS, any case
    jobs: Literal["auto", "inline", "rq"] = "auto"
    jobs_retry_base_seconds: float = Field(default=2.0, ge=0)
    escalation_sweep_seconds: float = Field(default=60.0, gt=0)
    # Staging only: the clock the domain reads (deadlines, escalations, reports) runs this many days
    # ahead; sleeps and the sweep's rhythm keep real time. Refused on a database marked as production
    # (`contact-center db mark-production`). See README, "Rehearsing a month of deadlines".
    clock_offset_days: float = Field(default=0.0, ge=-3650, le=3650)
    # A failed e-mail or SMS is retried by the sweep with exponential backoff from this base, for
    # this long after its first failure (contact_center.outbound.domain).
    outbound_retry_base_seconds: float = Field(default=60.0, gt=0)
    outbound_retry_max_hours: float = Field(default=48.0, gt=0)
    # Web chat end-states: a waiting chat whose page is gone (no socket.io connection, whose pings are
    # the heartbeat) for this long is abandoned; a citizen waiting this long is offered a PQRD.
    chat_abandon_grace_seconds: float = Field(default=30.0, ge=0)
    chat_offer_pqrd_after_seconds: int = Field(default=90, ge=0)
    allowed_origins: str = ""
    trusted_proxies: str = ""  # reverse proxies whose X-Forwarded-For is believed
    max_request_bytes: int = Field(default=60 * 1024 * 1024, ge=1024)
    # Abuse limits (contact_center.web.limits): failed log-ins or access codes per account and
    # client address, and successful filings and registrations per client address, per window.
    login_failures_per_address: int = Field(default=10, ge=1)
    login_failures_per_client: int = Field(default=20, ge=1)
    login_free_failures: int = Field(default=10, ge=1)
    login_max_delay_seconds: int = Field(default=900, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    filing_limit: int = Field(default=20, ge=1)
    filing_window_seconds: int = Field(default=600, ge=1)
    registration_limit: int = Field(default=5, ge=1)
    registration_window_seconds: int = Field(default=3600, ge=1)
    idempotency_ttl_hours: float = Field(default=24.0, gt=0)
    allow_demo_seed: bool = False  # seed-demo's known passwords on PostgreSQL, on purpose only

    @field_validator("asterisk_member_interface")
    @classmethod
    def _member_interface(cls, value: str) -> str:
        # `{id}` once and nothing else to fill: the interface is parsed back into the official's id.
        rest = value.replace("{id}", "")
        if value.count("{id}") != 1 or "{" in rest or "}" in rest:
            raise ValueError(f"{value!r} debe contener {{id}} una sola vez, p. ej. PJSIP/official-{{id}}")
        if any(c.isspace() for c in value):
            raise ValueError(f"{value!r} no puede contener espacios")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value) if value else value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("debe empezar por redis://, rediss:// o unix://")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in _LOG_LEVELS:
            raise ValueError(f"nivel desconocido {value!r}: use {', '.join(_LOG_LEVELS)}")
        return level

    @field_validator("public_base_url")
    @classmethod
    def _public_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ValueError("debe ser una URL http(s)://servidor, la que ven Twilio y los ciudadanos")
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _allowed_origins(cls, value: str) -> str:
        for origin in split_origins(value):
            _origin(origin)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: str) -> str:
        if value and len(value.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"debe tener al menos {MIN_SECRET_BYTES} bytes (por ejemplo: openssl rand -base64 32)"
            )
        return value

    @field_validator("redis_namespace")
    @classmethod
    def _redis_namespace(cls, value: str) -> str:
        if not value or any(c.isspace() for c in value):
            raise ValueError("no puede estar vacío ni contener espacios (prefija las claves de Redis)")
        return value

    @property
    def effective_database_url(self) -> str:
        """The embedded default is a SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'pasto195.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def uses_rq(self) -> bool:
        return self.jobs == "rq" or (self.jobs == "auto" and self.redis_url is not None)

    def cors_origins(self) -> list[str]:
        """Origins allowed to open sockets (the city portal embedding the chat widget), comma-separated."""
        origins = split_origins(self.allowed_origins)
        return [self.base_url, *origins] if origins else []

    def embedding_origins(self) -> list[str]:
        """Other sites' origins allowed to frame the citizen chat (the widget), from ALLOWED_ORIGINS."""
        return split_origins(self.allowed_origins)

    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    def signing_key(self) -> bytes:
        """SECRET_KEY; on the embedded default a generated key kept in the data directory (mode 0600)."""
        if not self.secret_key:
            path = self.data_dir / "secret_key"
            if not path.exists():
                self.data_dir.mkdir(parents=True, exist_ok=True)
                path.touch(mode=0o600)
                path.write_text(secrets.token_urlsafe(32))
            self.secret_key = path.read_text().strip()
        return self.secret_key.encode()


def load_settings(**overrides: object) -> Settings:
    """Read the environment; raise `ConfigError` naming each bad variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()]
        raise ConfigError("; ".join(problems)) from None
    if not settings.is_sqlite and not settings.secret_key:
        raise ConfigError("SECRET_KEY: obligatorio cuando DATABASE_URL apunta a PostgreSQL")
    return settings
