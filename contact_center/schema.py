"""Imports every module that defines tables, so Alembic and tests see the whole schema.

Each feature keeps its tables in its own `models` module; add its import here.
"""

from __future__ import annotations

import agents_ui.models  # noqa: F401
import contact_center.citizens.models.accounts
import contact_center.citizens.models.merges
import contact_center.core.db.limit_models
import contact_center.core.db.models
import contact_center.core.db.routing_models
import contact_center.outbound.models
import contact_center.pqrd.models.imports
import contact_center.pqrd.models.legal
import contact_center.tramites.models  # noqa: F401
import ivr.models  # noqa: F401
from contact_center.core.db.base import Base

metadata = Base.metadata
