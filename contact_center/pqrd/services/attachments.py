"""Files citizens attach to a PQRD: limits, content sniffing, safe names and content-addressed storage.

The type of a file is decided by its bytes, never by its name or the browser's claim: an executable
renamed `factura.pdf` is refused. Files live under DATA_DIR/attachments/<sha256[:2]>/<sha256>, outside
any web root, and are served only through the PQRD routes that check the access code or an official.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from contact_center.core.db.models import Attachment
from contact_center.core.errors import DomainError, InvalidInput
from contact_center.core.http.multipart import MAX_FILES as MAX_FILES
from contact_center.core.http.multipart import Upload as Upload
from contact_center.core.uow import UnitOfWork

MAX_FILE_BYTES = 10 * 1024 * 1024
_ZIP_MEMBER_LIMIT = 1024 * 1024  # only small manifests are read from office documents

# content type -> the extension a file of that type must carry
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "text/plain": ".txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}
_SAME_TYPE_EXTENSIONS = {".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".text": "text/plain"}
_OOXML_MAIN = {
    "wordprocessingml.document.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    "spreadsheetml.sheet.main+xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_UNSAFE_NAME = re.compile(r"[^\w .()\-]+")


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413


class UnsupportedFileType(DomainError):
    code = "unsupported_file_type"
    status = 415


@dataclass(frozen=True, slots=True)
class StoredFile:
    filename: str
    content_type: str
    size: int
    sha256: str


def too_large(filename: str) -> PayloadTooLarge:
    limit = MAX_FILE_BYTES // (1024 * 1024)
    return PayloadTooLarge(
        f"El archivo «{safe_filename(filename)}» supera el máximo de {limit} MB por archivo.",
        code="file_too_large",
    )


def check_count(count: int) -> None:
    if count > MAX_FILES:
        raise InvalidInput(f"Puede adjuntar como máximo {MAX_FILES} archivos.", code="too_many_files")


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are, among the accepted ones; None otherwise."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    return "text/plain" if _is_text(data) else None


def _office_type(data: bytes) -> str | None:
    """A zip is accepted only as an OpenDocument or Office Open XML document, by its own manifest."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = _member(archive, "mimetype").decode("ascii", "replace").strip()
                allowed = {v for v in EXTENSIONS if "opendocument" in v}
                return declared if declared in allowed else None
            if "[Content_Types].xml" in names:
                manifest = _member(archive, "[Content_Types].xml").decode("utf-8", "replace")
                found = [t for marker, t in _OOXML_MAIN.items() if marker in manifest]
                # Macro-enabled variants (docm, xlsm) declare another main part and are not accepted.
                return found[0] if len(found) == 1 and "macroEnabled" not in manifest else None
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    return None


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    if archive.getinfo(name).file_size > _ZIP_MEMBER_LIMIT:
        raise ValueError("manifest too large")
    with archive.open(name) as member:
        return member.read(_ZIP_MEMBER_LIMIT)


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(ch) < 32 and ch not in "\t\r\n\f" for ch in text)


def safe_filename(name: str) -> str:
    """The base name only, NFC, without control or path characters, at most 255 bytes."""
    # Some clients percent-encode the name (aiohttp sends "..%2Ffoto.pdf"): decode, then cut the path.
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", unquote(name or "")))[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" .")
    if not base:
        base = "adjunto"
    stem, ext = os.path.splitext(base)
    while len((stem + ext).encode("utf-8")) > 255:
        stem = stem[:-1]
    return stem + ext


def named_for(filename: str, content_type: str) -> str:
    """The safe name, with the extension of the type the bytes really are."""
    name = safe_filename(filename)
    ext = os.path.splitext(name)[1]
    wanted = EXTENSIONS[content_type]
    if ext.lower() == wanted or _SAME_TYPE_EXTENSIONS.get(ext.lower()) == content_type:
        return name
    return safe_filename(f"{name}{wanted}")


def inspect_upload(upload: Upload) -> StoredFile:
    """Validate one upload (size, real type) and describe it; nothing is written."""
    if len(upload.data) > MAX_FILE_BYTES:
        raise too_large(upload.filename)
    if not upload.data:
        raise InvalidInput(f"El archivo «{safe_filename(upload.filename)}» está vacío.", code="empty_file")
    content_type = sniff(upload.data)
    if content_type is None:
        raise UnsupportedFileType(
            f"El archivo «{safe_filename(upload.filename)}» no es de un tipo permitido "
            "(PDF, imagen PNG, JPEG, GIF o WebP, texto, Word, Excel u OpenDocument).",
        )
    return StoredFile(
        filename=named_for(upload.filename, content_type),
        content_type=content_type,
        size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
    )


class AttachmentStore:
    """Content-addressed files under `root` (DATA_DIR/attachments)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError("not a sha256")
        return self.root / sha256[:2] / sha256

    async def save(self, upload: Upload, described: StoredFile) -> None:
        await asyncio.to_thread(self._write, upload.data, described.sha256)

    def _write(self, data: bytes, sha256: str) -> None:
        path = self.path_of(sha256)
        if path.exists():
            return  # same bytes already stored
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{sha256}.{os.getpid()}.tmp")
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)  # atomic: a reader never sees half a file

    async def read(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self.path_of(sha256).read_bytes)


def check_uploads(uploads: list[Upload]) -> list[tuple[Upload, StoredFile]]:
    """Validate every upload before anything is filed, so a bad file changes nothing."""
    check_count(len(uploads))
    return [(u, inspect_upload(u)) for u in uploads]


async def store_attachments(
    uow: UnitOfWork, store: AttachmentStore, ticket_id: int, checked: list[tuple[Upload, StoredFile]]
) -> list[Attachment]:
    """Write the checked files and record them on the ticket, in the caller's transaction.

    Files are written before the commit; if the transaction rolls back they stay as unreferenced
    content, which is harmless (content-addressed) and never served.
    """
    rows = []
    for upload, info in checked:
        await store.save(upload, info)
        row = Attachment(
            ticket_id=ticket_id,
            filename=info.filename,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            created_at=uow.clock.now(),
        )
        uow.session.add(row)
        rows.append(row)
    return rows
