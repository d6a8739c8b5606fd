"""Attachments: real types by their bytes, size and count limits, safe names, private downloads."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from contact_center.core.config import Settings
from contact_center.core.db.models import Attachment, Ticket
from tests.conftest import login
from tests.integration.test_pqrd_api import FILING, count

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def form(files: list[tuple[str, bytes]], **fields: str) -> aiohttp.FormData:
    data = aiohttp.FormData(default_to_multipart=True)
    citizen = FILING["citizen"]
    values = {
        "type": "reclamo",
        "subject": FILING["subject"],
        "description": FILING["description"],
        "citizen.name": citizen["name"],
        "citizen.document_type": "CC",
        "citizen.document_number": citizen["document_number"],
        "citizen.email": citizen["email"],
        "data_consent": "true",
        "notify_by_email": "false",
        **fields,
    }
    for name, value in values.items():
        data.add_field(name, value)
    for filename, content in files:
        data.add_field("files", content, filename=filename, content_type="application/pdf")
    return data


async def test_multipart_filing_stores_files_by_content_outside_the_web_root(
    seeded: TestClient[Any, Any], settings: Settings, backend: str
) -> None:
    files = [("acta.pdf", PDF), ("../../etc/foto.pdf", PNG), ("informe.docx", docx())]
    resp = await seeded.post("/api/v1/pqrd", data=form(files, priority_flags="adulto_mayor"))
    assert resp.status == 201, await resp.text()
    filed = await resp.json()
    status = await seeded.get(
        f"/api/v1/pqrd/{filed['radicado']}", params={"access_code": filed["access_code"]}
    )
    listed = (await status.json())["attachments"]
    assert [(a["filename"], a["content_type"]) for a in listed] == [
        ("acta.pdf", "application/pdf"),
        ("foto.pdf.png", "image/png"),  # named after what the bytes are, without the path
        ("informe.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]
    digest = hashlib.sha256(PNG).hexdigest()
    assert (Path(settings.data_dir) / "attachments" / digest[:2] / digest).read_bytes() == PNG


async def test_download_needs_the_access_code_or_an_official(seeded: TestClient[Any, Any]) -> None:
    filed = await (await seeded.post("/api/v1/pqrd", data=form([("acta.pdf", PDF)]))).json()
    status = await seeded.get(
        f"/api/v1/pqrd/{filed['radicado']}", params={"access_code": filed["access_code"]}
    )
    file_id = (await status.json())["attachments"][0]["id"]
    url = f"/api/v1/pqrd/{filed['radicado']}/attachments/{file_id}"
    resp = await seeded.get(url, params={"access_code": filed["access_code"]})
    assert resp.status == 200 and await resp.read() == PDF
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    wrong = await seeded.get(url, params={"access_code": "WRONG123"})
    assert wrong.status == 404
    none = await seeded.get(url)
    assert none.status == 404
    token = await login(seeded, "agente1@demo.pasto.gov.co")
    official = await seeded.get(url, headers={"Authorization": f"Bearer {token}"})
    assert official.status == 200 and await official.read() == PDF


async def test_an_executable_renamed_pdf_is_415_and_files_nothing(
    seeded: TestClient[Any, Any], backend: str
) -> None:
    resp = await seeded.post("/api/v1/pqrd", data=form([("acta.pdf", PDF), ("factura.pdf", EXE)]))
    assert resp.status == 415
    assert (await resp.json())["error"]["code"] == "unsupported_file_type"
    assert await count(seeded, Ticket) == 0 and await count(seeded, Attachment) == 0


async def test_a_50_mb_file_is_413_and_files_nothing(seeded: TestClient[Any, Any]) -> None:
    big = PDF + b"0" * (50 * 1024 * 1024)
    resp = await seeded.post("/api/v1/pqrd", data=form([("grande.pdf", big)]))
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "file_too_large"
    assert await count(seeded, Ticket) == 0


async def test_six_files_are_refused(seeded: TestClient[Any, Any]) -> None:
    resp = await seeded.post("/api/v1/pqrd", data=form([(f"a{i}.pdf", PDF) for i in range(6)]))
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "too_many_files"
    assert await count(seeded, Ticket) == 0


async def test_multipart_with_bad_fields_is_400(seeded: TestClient[Any, Any]) -> None:
    resp = await seeded.post("/api/v1/pqrd", data=form([("acta.pdf", PDF)], data_consent="false"))
    assert (await resp.json())["error"]["code"] == "consent_required"
    resp = await seeded.post("/api/v1/pqrd", data=form([], type="tutela"))
    assert (await resp.json())["error"]["code"] == "unknown_pqrd_type"
    garbage = await seeded.post(
        "/api/v1/pqrd", data=b"--x\r\nnot really", headers={"Content-Type": "multipart/form-data; boundary=x"}
    )
    assert garbage.status == 400, await garbage.text()
    assert await count(seeded, Ticket) == 0


async def test_the_openapi_document_describes_the_multipart_form(client: TestClient[Any, Any]) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    schema = document["paths"]["/api/v1/pqrd"]["post"]["requestBody"]["content"]["multipart/form-data"][
        "schema"
    ]
    properties = schema["properties"]
    assert {"type", "subject", "citizen.name", "citizen.email", "priority_flags", "files"} <= set(properties)
    assert properties["files"]["maxItems"] == 5
    json.dumps(document)
