"""Imports every module that defines tables, so Alembic and tests see the whole schema.

Each feature keeps its tables in its own module (`<feature>_models.py`); add its import here.
"""

from __future__ import annotations

import ivr.models  # noqa: F401
from contact_center.core.db.base import Base

metadata = Base.metadata
