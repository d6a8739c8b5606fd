"""Configuration comes from the environment, and a bad value is reported by its variable name."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from contact_center.core.config import ConfigError, load_settings

CLI = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "contact-center"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@db/p195", "postgresql+asyncpg://u@db/p195"),
        ("postgres://u@db/p195", "postgresql+asyncpg://u@db/p195"),
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        (  # the same host's server over its Unix socket
            "postgresql:///p195?host=/var/run/postgresql",
            "postgresql+asyncpg:///p195?host=/var/run/postgresql",
        ),
    ],
)
def test_database_url_spellings_map_to_async_drivers(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    assert load_settings().effective_database_url == expected


@pytest.mark.parametrize("bad", ["mysql://x/y", "not-a-url", "postgresql:///nohost"])
def test_malformed_database_url_is_reported_by_name(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("DATABASE_URL", bad)
    with pytest.raises(ConfigError, match=r"^DATABASE_URL: "):
        load_settings()


def test_bad_port_and_redis_url_are_both_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "99999")
    monkeypatch.setenv("REDIS_URL", "http://x")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "PORT:" in str(info.value) and "REDIS_URL:" in str(info.value)


def test_postgres_without_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/p")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings()


def test_embedded_default_is_sqlite_under_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'pasto195.db'}"
    assert settings.is_sqlite and not settings.uses_rq
    key = settings.signing_key()
    assert load_settings().signing_key() == key  # kept across restarts of the embedded default


def test_cli_prints_the_bad_variable_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(CLI), "serve"],
        env={"DATABASE_URL": "mysql://x/y", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "bad"),
    [
        ("LOG_LEVEL", "LOUD"),
        ("ALLOWED_ORIGINS", "https://portal.pasto.gov.co/chat"),
        ("ALLOWED_ORIGINS", "https://portal.pasto.gov.co; script-src *"),
        ("TRUSTED_PROXIES", "nginx"),
        ("PUBLIC_BASE_URL", "195.pasto.gov.co"),
        ("REDIS_NAMESPACE", "two words"),
    ],
)
def test_cli_stops_on_a_bad_setting_by_its_name(tmp_path: Path, variable: str, bad: str) -> None:
    result = subprocess.run(
        [str(CLI), "serve"],
        env={variable: bad, "DATA_DIR": str(tmp_path / "var"), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"configuración no válida: {variable}:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()  # stopped before touching anything


def test_log_level_is_read_in_any_case_and_proxies_as_addresses_or_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "warning")
    monkeypatch.setenv("TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8 ,::1")
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://www.pasto.gov.co/, http://[::1]:8000")
    settings = load_settings()
    assert settings.log_level == "WARNING"
    assert [str(n) for n in settings.trusted_proxy_networks()] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert settings.embedding_origins() == ["https://www.pasto.gov.co", "http://[::1]:8000"]


@pytest.mark.parametrize("short", ["x", "k" * 31])
def test_a_secret_key_shorter_than_32_bytes_is_refused(monkeypatch: pytest.MonkeyPatch, short: str) -> None:
    monkeypatch.setenv("SECRET_KEY", short)
    with pytest.raises(ConfigError, match=r"SECRET_KEY: .*32 bytes"):
        load_settings()


def test_a_secret_key_of_32_bytes_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    assert load_settings().secret_key == "k" * 32
