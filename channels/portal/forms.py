"""The PQRD form as the citizen filled it: its values, its errors tied to fields, and the `Filing`.

Validation happens here, field by field, so every message can sit next to its field; the intake
service checks the same rules again (a filing that passes here is accepted there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from contact_center.citizens.services.identities import (
    CitizenDetails,
    document_value,
    normalize_email,
    normalize_phone,
)
from contact_center.core.errors import DomainError
from contact_center.core.http.multipart import FormData
from contact_center.pqrd.domain.legal_clock import PQRD_TYPE_LABELS, PqrdType, PriorityFlag
from contact_center.pqrd.services import attachments
from contact_center.pqrd.services.intake import MAX_DESCRIPTION, MAX_SUBJECT, Filing

DOCUMENT_TYPES = [
    ("CC", "Cédula de ciudadanía"),
    ("CE", "Cédula de extranjería"),
    ("TI", "Tarjeta de identidad"),
    ("PA", "Pasaporte"),
    ("PPT", "Permiso por protección temporal"),
    ("NIT", "NIT"),
]
PRIORITY_LABELS = {
    PriorityFlag.DERECHO_FUNDAMENTAL: "Un derecho fundamental está en riesgo de daño irremediable",
    PriorityFlag.RIESGO_VIDA: "Hay peligro para la vida o la integridad de una persona",
    PriorityFlag.PERIODISTA: "Soy periodista y la solicitud es para mi ejercicio profesional",
    PriorityFlag.MENOR: "La solicitud es de o para un niño, niña o adolescente",
    PriorityFlag.ADULTO_MAYOR: "Soy una persona adulta mayor",
    PriorityFlag.DISCAPACIDAD: "Soy una persona con discapacidad",
}
TYPE_CHOICES = [(t.value, PQRD_TYPE_LABELS[t]) for t in PqrdType if t is not PqrdType.PETICION_AUTORIDAD]
# The order in which fields appear on the page, so the error summary lists them the same way.
FIELD_ORDER = [
    "tipo",
    "asunto",
    "descripcion",
    "dependencia",
    "nombre",
    "tipo_documento",
    "numero_documento",
    "correo",
    "telefono",
    "notificar_correo",
    "files",
    "autorizacion",
]


@dataclass
class PqrdForm:
    """What the citizen typed (kept to re-render the form) and what is wrong with it."""

    values: dict[str, str] = field(default_factory=dict)
    priorities: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def error_list(self) -> list[tuple[str, str]]:
        return sorted(self.errors.items(), key=lambda kv: FIELD_ORDER.index(kv[0]))

    def add_service_error(self, code: str, message: str) -> None:
        """An error the intake service found, next to the field it is about (or the type, first)."""
        name = next((f for prefix, f in _CODE_FIELDS if code.startswith(prefix)), "tipo")
        self.errors[name] = message

    def checked(self, name: str) -> bool:
        return self.values.get(name) == "si"


# Intake service error codes -> the field they are about.
_CODE_FIELDS = [
    ("consent", "autorizacion"),
    ("email_required", "notificar_correo"),
    ("invalid_email", "correo"),
    ("invalid_phone", "telefono"),
    ("invalid_document", "numero_documento"),
    ("unknown_dependencia", "dependencia"),
    ("citizen_required", "nombre"),
    ("missing_text", "asunto"),
    ("text_too_long", "descripcion"),
    ("file", "files"),
    ("too_many_files", "files"),
    ("empty_file", "files"),
    ("unsupported_file", "files"),
    ("payload_too_large", "files"),
]
TEXT_FIELDS = ["tipo", "asunto", "descripcion", "dependencia", "nombre", "tipo_documento"]
TEXT_FIELDS += ["numero_documento", "correo", "telefono", "anonimo", "notificar_correo", "autorizacion"]


def read_pqrd_form(data: FormData) -> PqrdForm:
    form = PqrdForm(values={name: data.get(name).strip() for name in TEXT_FIELDS})
    form.values["descripcion"] = data.get("descripcion").strip()
    form.priorities = [p for p in data.getall("prioridad") if p in {f.value for f in PriorityFlag}]
    return form


def to_filing(form: PqrdForm, files: list[attachments.Upload], dependencias: set[str]) -> Filing | None:
    """The filing, or None with `form.errors` filled in."""
    v, err = form.values, form.errors
    pqrd_type = _pqrd_type(form)
    _text(form, "asunto", "el asunto", MAX_SUBJECT)
    _text(form, "descripcion", "la descripción de su solicitud", MAX_DESCRIPTION)
    if v["dependencia"] and v["dependencia"] not in dependencias:
        err["dependencia"] = "Elija una dependencia de la lista o deje «No sé»."
    anonymous = form.checked("anonimo")
    citizen = None if anonymous else _citizen(form)
    if form.checked("notificar_correo") and not v["correo"]:
        err["notificar_correo"] = "Para recibir notificaciones por correo escriba su correo electrónico."
    if not anonymous and not form.checked("autorizacion"):
        err["autorizacion"] = "Autorice el tratamiento de sus datos o marque la solicitud como anónima."
    checked = _uploads(form, files)
    if err or pqrd_type is None:
        return None
    return Filing(
        pqrd_type=pqrd_type,
        subject=v["asunto"],
        description=v["descripcion"],
        channel="web",
        citizen=citizen,
        anonymous=anonymous,
        data_consent=form.checked("autorizacion"),
        notify_by_email=form.checked("notificar_correo") and bool(v["correo"]),
        dependencia_code=v["dependencia"] or None,
        priority_flags=frozenset(PriorityFlag(p) for p in form.priorities),
        attachments=checked,
    )


def _pqrd_type(form: PqrdForm) -> PqrdType | None:
    if form.values["tipo"] not in {value for value, _ in TYPE_CHOICES}:
        form.errors["tipo"] = "Elija el tipo de solicitud."
        return None
    return PqrdType(form.values["tipo"])


def _text(form: PqrdForm, name: str, what: str, limit: int) -> None:
    value = form.values[name]
    if not value:
        form.errors[name] = f"Escriba {what}."
    elif len(value) > limit:
        form.errors[name] = f"Use como máximo {limit:,} caracteres (escribió {len(value):,}).".replace(
            ",", "."
        )


def _citizen(form: PqrdForm) -> CitizenDetails | None:
    v, err = form.values, form.errors
    if not v["nombre"]:
        err["nombre"] = "Escriba su nombre completo o marque la solicitud como anónima."
    if not v["correo"] and not v["telefono"]:
        err["correo"] = "Escriba un correo electrónico o un teléfono para responderle."
    checks: list[tuple[str, Callable[[], str]]] = [
        ("numero_documento", lambda: document_value(v["tipo_documento"] or "CC", v["numero_documento"])),
        ("correo", lambda: normalize_email(v["correo"])),
        ("telefono", lambda: normalize_phone(v["telefono"])),
    ]
    for name, check in checks:
        if v[name] and name not in err:
            try:
                check()
            except DomainError as exc:
                err[name] = _field_message(name, exc)
    return CitizenDetails(
        name=v["nombre"] or None,
        document_type=(v["tipo_documento"] or "CC") if v["numero_documento"] else None,
        document_number=v["numero_documento"] or None,
        email=v["correo"] or None,
        phone=v["telefono"] or None,
    )


def _field_message(name: str, exc: DomainError) -> str:
    examples = {
        "numero_documento": " Escriba solo números, sin puntos (por ejemplo 1085123456).",
        "correo": " Por ejemplo: nombre@correo.com.",
        "telefono": " Por ejemplo: 300 123 4567.",
    }
    return exc.message + examples.get(name, "")


def _uploads(
    form: PqrdForm, files: list[attachments.Upload]
) -> list[tuple[attachments.Upload, attachments.StoredFile]]:
    try:
        return attachments.check_uploads(files)
    except DomainError as exc:
        form.errors["files"] = exc.message
        return []
