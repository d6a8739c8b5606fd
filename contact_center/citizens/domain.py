"""The privacy notice (aviso de privacidad) a citizen accepts before filing (Ley 1581 de 2012).

One place for its text and version: the PQRD form shows `PRIVACY_NOTICE`, and every consent is
stored with `PRIVACY_NOTICE_VERSION`, so the record says which words the citizen agreed to.
Change the version whenever the text changes.
"""

from __future__ import annotations

PRIVACY_NOTICE_VERSION = "2026-01"

PRIVACY_NOTICE = (
    "La Alcaldía de Pasto, como responsable del tratamiento, usará los datos personales que usted "
    "entrega (nombre, documento de identidad, correo electrónico, teléfono y el contenido de su "
    "solicitud) para radicar, tramitar y responder su petición, queja, reclamo, denuncia o "
    "sugerencia, y para enviarle notificaciones sobre su trámite por los medios que usted autorice. "
    "Sus datos no se usarán para otros fines ni se entregarán a terceros, salvo a otras autoridades "
    "cuando su solicitud deba trasladarse por competencia o cuando la ley lo ordene. Usted tiene "
    "derecho a conocer, actualizar, rectificar y suprimir sus datos y a revocar esta autorización "
    "(Ley 1581 de 2012 y Decreto 1377 de 2013), escribiendo a la Oficina de Atención al Ciudadano "
    "o llamando a la Línea 195. Puede presentar su solicitud de forma anónima si no desea entregar "
    "datos personales."
)
