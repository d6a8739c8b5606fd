"""The backup folder's manifest and attachment copy, for `contact-center backup` / `restore`.

A backup folder holds `database.dump` (PostgreSQL, `pg_dump -Fc`) or `database.sqlite3` (SQLite,
online backup API), `attachments/<sha[:2]>/<sha>` and `manifest.json`: the engine, the schema
revision, the row count of every table and the SHA-256 and size of every stored attachment, all read
from the same snapshot as the dump, so the two halves are consistent with each other.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
FORMAT = 1
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why, for the operator."""


@dataclass
class Manifest:
    engine: str  # "postgresql" | "sqlite"
    database_file: str
    database_sha256: str
    revisions: list[str]
    counts: dict[str, int]
    attachments: dict[str, int]  # sha256 -> size, files stored under DATA_DIR/attachments
    created_at: str
    format: int = FORMAT
    missing: list[str] = field(default_factory=list)  # referenced but absent from the store
    secret_key: bool = False  # DATA_DIR/secret_key copied (the embedded default's generated key)

    def write(self, folder: Path) -> None:
        (folder / MANIFEST).write_text(json.dumps(asdict(self), indent=1, sort_keys=True))

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            data: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise BackupError(f"{folder / MANIFEST}: no se puede leer el manifiesto ({exc})") from None
        if data.get("format") != FORMAT:
            raise BackupError(f"{folder / MANIFEST}: formato {data.get('format')!r} desconocido")
        return cls(**data)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def attachment_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def copy_attachments(source: Path, target: Path, hashes: dict[str, int]) -> list[str]:
    """Copy every listed file, checking its hash on the way; the hashes missing or altered at source."""
    bad = []
    for sha in sorted(hashes):
        src = attachment_path(source, sha)
        if not src.is_file() or sha256_of(src) != sha:
            bad.append(sha)
            continue
        _copy_atomic(src, attachment_path(target, sha))
    return bad


def _copy_atomic(src: Path, dst: Path) -> None:
    if dst.is_file() and sha256_of(dst) == dst.name:
        return  # content-addressed: the same bytes are already there
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    with open(tmp, "rb") as written:
        os.fsync(written.fileno())
    os.replace(tmp, dst)


def check_folder(folder: Path, manifest: Manifest) -> None:
    """Refuse a backup whose database file or any attachment does not match the manifest."""
    database = folder / manifest.database_file
    if not database.is_file() or sha256_of(database) != manifest.database_sha256:
        raise BackupError(f"{database}: falta o no coincide con el SHA-256 del manifiesto")
    store = folder / "attachments"
    bad = [sha for sha in manifest.attachments if not _intact(attachment_path(store, sha), sha)]
    if bad:
        raise BackupError(f"{len(bad)} adjunto(s) faltan o no coinciden con su SHA-256: {', '.join(bad[:5])}")


def _intact(path: Path, sha: str) -> bool:
    return path.is_file() and sha256_of(path) == sha


SECRET_FILE = "secret_key"  # noqa: S105  # a file name, not a secret


def copy_secret(data_dir: Path, folder: Path) -> bool:
    """The generated SECRET_KEY of the embedded default keys every access code: it goes with the data."""
    source = data_dir / SECRET_FILE
    if not source.is_file():
        return False
    target = folder / SECRET_FILE
    target.touch(mode=0o600)
    target.write_bytes(source.read_bytes())
    return True


def restore_secret(folder: Path, data_dir: Path, *, force: bool) -> None:
    source, target = folder / SECRET_FILE, data_dir / SECRET_FILE
    if target.is_file() and target.read_bytes() != source.read_bytes() and not force:
        raise BackupError(f"{target} ya existe con otra clave (los códigos de acceso fallarían): use --force")
    data_dir.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600)
    target.write_bytes(source.read_bytes())
