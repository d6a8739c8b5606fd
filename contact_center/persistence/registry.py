"""Imports every module that defines tables, so Alembic and tests see the whole schema.

Each feature keeps its tables in its own module (`<feature>_models.py`); add its import here.
"""

from __future__ import annotations

import contact_center.persistence.citizen_models
import contact_center.persistence.console_models
import contact_center.persistence.import_models
import contact_center.persistence.merge_models
import contact_center.persistence.outbound_models
import contact_center.persistence.routing_models
import contact_center.persistence.voice_models
import contact_center.tramites.models  # noqa: F401
from contact_center.persistence import legal_models, models  # noqa: F401
from contact_center.persistence.base import Base

metadata = Base.metadata
