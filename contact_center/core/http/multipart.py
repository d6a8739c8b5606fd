"""Reading `multipart/form-data` bodies (the portal form, the app's attachments) into plain values.

aiohttp spools each file to a temporary file while reading (bounded by the app's
`client_max_size`); here they become `Upload`s for the attachments service, which checks sizes and
real types before anything is stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web
from multidict import MultiDict

from contact_center.core.errors import InvalidInput

MAX_FILES = 5  # files one filing may carry (the attachments service enforces it, OpenAPI states it)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as received: the name the citizen's device gave it and its bytes."""

    filename: str
    data: bytes


@dataclass
class FormData:
    """Text fields (each name may repeat, like checkboxes) and the files, in the order received."""

    fields: MultiDict[str] = field(default_factory=MultiDict)
    files: list[Upload] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    def getall(self, name: str) -> list[str]:
        return list(self.fields.getall(name, []))


async def read_form(request: web.Request, *, file_field: str = "files") -> FormData:
    """The body of a form POST; files are taken from `file_field` only, empty file inputs ignored."""
    if request.content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise InvalidInput("Envíe el formulario como multipart/form-data.", code="unsupported_form")
    try:
        posted = await request.post()
    except ValueError:
        raise InvalidInput("El formulario llegó incompleto o dañado.", code="invalid_form") from None
    form = FormData()
    for name, value in posted.items():
        if isinstance(value, web.FileField):
            if name == file_field and value.filename:
                data = await asyncio.to_thread(value.file.read)
                form.files.append(Upload(value.filename, data))
            value.file.close()
        elif isinstance(value, str):
            form.fields.add(name, value)
    return form
