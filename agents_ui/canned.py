"""Canned answers: searchable prepared replies with a shortcut (`/predial`), seeded with trámites of Pasto."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from agents_ui.models import CannedAnswer
from contact_center.core.uow import UnitOfWork

# (shortcut, title, body, tags). Practical knowledge a first-line official repeats every day.
DEFAULT_ANSWERS: list[tuple[str, str, str, str]] = [
    (
        "/saludo",
        "Saludo",
        "Buen día, le saluda la Línea 195 de la Alcaldía de Pasto. ¿En qué le puedo colaborar?",
        "saludo bienvenida",
    ),
    (
        "/despedida",
        "Despedida",
        "Gracias por comunicarse con la Alcaldía de Pasto. Que tenga un buen día.",
        "despedida cierre",
    ),
    (
        "/predial",
        "Impuesto predial",
        "El impuesto predial unificado se liquida por la Secretaría de Hacienda. Puede descargar la "
        "factura en el portal de la Alcaldía con el número predial o la cédula del propietario, y pagar "
        "en los bancos autorizados. Por pronto pago en los primeros meses del año hay descuento.",
        "hacienda impuesto predial factura descuento",
    ),
    (
        "/industria",
        "Industria y comercio",
        "La declaración de industria y comercio (ICA) se presenta ante la Secretaría de Hacienda, en el "
        "calendario tributario del año. Tenga a mano el RUT y los ingresos del año anterior.",
        "hacienda ica industria comercio rut",
    ),
    (
        "/comparendo",
        "Comparendos de tránsito",
        "Puede consultar sus comparendos en el SIMIT con su número de documento. Si paga dentro de los "
        "5 días hábiles siguientes (o 20 con curso pedagógico) obtiene descuento. Para impugnar, solicite "
        "audiencia en la Secretaría de Tránsito y Transporte.",
        "transito comparendo multa simit curso",
    ),
    (
        "/licencia",
        "Licencia de conducción",
        "La licencia se tramita en la Secretaría de Tránsito con el certificado del CRC, el curso de "
        "conducción y el registro en el RUNT. Verifique que no tenga comparendos pendientes.",
        "transito licencia conduccion runt crc",
    ),
    (
        "/sisben",
        "Encuesta SISBEN",
        "Para solicitar o actualizar la encuesta del SISBEN IV acérquese a la oficina del SISBEN con el "
        "documento de todos los integrantes del hogar y un recibo de servicio público. Puede consultar "
        "su grupo en la página del DNP.",
        "salud sisben encuesta dnp",
    ),
    (
        "/salud",
        "Afiliación al régimen subsidiado",
        "La afiliación al régimen subsidiado de salud depende del grupo del SISBEN. La Secretaría de Salud "
        "le orienta sobre la EPS y los documentos requeridos.",
        "salud eps afiliacion subsidiado",
    ),
    (
        "/matricula",
        "Matrículas escolares",
        "Las inscripciones para cupos escolares en instituciones oficiales se hacen ante la Secretaría "
        "de Educación en las fechas del calendario de matrículas.",
        "educacion matricula cupo colegio",
    ),
    (
        "/pqrd",
        "Radicar una PQRD",
        "Puedo radicar su petición, queja, reclamo o denuncia ahora mismo; recibirá un número de radicado "
        "y la respuesta llegará dentro del término legal (15 días hábiles para una petición general).",
        "pqrd peticion queja reclamo radicado",
    ),
    (
        "/horario",
        "Horario de atención",
        "La atención presencial en el CAM Anganoy es de lunes a viernes de 8:00 a. m. a 12:00 m. y de "
        "2:00 p. m. a 6:00 p. m. La Línea 195 y el chat atienden en el mismo horario.",
        "horario atencion cam",
    ),
]


def answer_payload(answer: CannedAnswer) -> dict[str, Any]:
    return {"id": answer.id, "shortcut": answer.shortcut, "title": answer.title, "body": answer.body}


async def search(
    uow: UnitOfWork, query: str, dependencia_id: int | None, limit: int = 10
) -> list[dict[str, Any]]:
    """Answers whose shortcut, title or tags contain the query (case-insensitive), shared ones
    and the official's own dependencia's; an empty query lists them all."""
    text = query.strip().lower().lstrip("/")
    statement = select(CannedAnswer).where(
        or_(CannedAnswer.dependencia_id.is_(None), CannedAnswer.dependencia_id == dependencia_id)
    )
    if text:
        pattern = f"%{text}%"
        statement = statement.where(
            or_(
                func.lower(CannedAnswer.shortcut).like(pattern),
                func.lower(CannedAnswer.title).like(pattern),
                func.lower(CannedAnswer.tags).like(pattern),
            )
        )
    rows = await uow.session.scalars(statement.order_by(CannedAnswer.shortcut).limit(limit))
    return [answer_payload(a) for a in rows.all()]


async def seed_answers(uow: UnitOfWork) -> int:
    """Add the default answers that are missing (by shortcut); returns how many were added."""
    present = set((await uow.session.scalars(select(CannedAnswer.shortcut))).all())
    now = uow.clock.now()
    missing = [a for a in DEFAULT_ANSWERS if a[0] not in present]
    for shortcut, title, body, tags in missing:
        uow.session.add(CannedAnswer(shortcut=shortcut, title=title, body=body, tags=tags, created_at=now))
    await uow.commit()
    return len(missing)
