"""tramites: the catalogue of trámites and services (SUIT-shaped records, versions, audit, usage)

PostgreSQL: the `unaccent` and `pg_trgm` extensions, a text search configuration `es_unaccent`
(Spanish stemming after unaccent), a `search_document` tsvector column (PostgreSQL only, not in the
ORM model: name weighted A, synonyms B, text C) with a GIN index, and a trigram index over the
normalised name and synonyms.
SQLite: two FTS5 tables, `tramites_fts` (unicode61 without diacritics, over the stemmed text) and
`tramites_trgm` (trigram tokenizer, the typo fallback). `contact_center.tramites.queries` keeps
them in step with the published versions.

Revision ID: tramites01
Revises: 0002
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import contact_center.core.db.base

revision: str = "tramites01"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("tramites",)
depends_on: str | Sequence[str] | None = None

_AWARE = contact_center.core.db.base.AwareDateTime(timezone=True)
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _tables()
    if op.get_bind().dialect.name == "postgresql":
        _postgres_search()
    else:
        _sqlite_search()


def _tables() -> None:
    op.create_table(
        "tramites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("dependencia_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("consult_count", sa.Integer(), nullable=False),
        sa.Column("created_at", _AWARE, nullable=False),
        sa.Column("updated_at", _AWARE, nullable=False),
        sa.Column("search_name", sa.Text(), nullable=True),
        sa.Column("search_aka", sa.Text(), nullable=True),
        sa.Column("search_body", sa.Text(), nullable=True),
        sa.Column("search_norm", sa.Text(), nullable=True),
        sa.Column("situations", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["dependencia_id"], ["dependencias.id"], name=op.f("fk_tramites_dependencia_id_dependencias")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tramites")),
        sa.UniqueConstraint("slug", name=op.f("uq_tramites_slug")),
    )
    op.create_index(op.f("ix_tramites_dependencia_id"), "tramites", ["dependencia_id"])
    op.create_table(
        "tramite_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tramite_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("created_at", _AWARE, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("published_at", _AWARE, nullable=True),
        sa.Column("superseded_at", _AWARE, nullable=True),
        sa.ForeignKeyConstraint(
            ["tramite_id"],
            ["tramites.id"],
            name=op.f("fk_tramite_versions_tramite_id_tramites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["officials.id"], name=op.f("fk_tramite_versions_created_by_officials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tramite_versions")),
        sa.UniqueConstraint("tramite_id", "number", name=op.f("uq_tramite_versions_tramite_id_number")),
    )
    op.create_table(
        "tramite_audit",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("tramite_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", _AWARE, nullable=False),
        sa.ForeignKeyConstraint(
            ["tramite_id"],
            ["tramites.id"],
            name=op.f("fk_tramite_audit_tramite_id_tramites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_tramite_audit_official_id_officials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tramite_audit")),
    )
    op.create_index(op.f("ix_tramite_audit_tramite_id"), "tramite_audit", ["tramite_id"])
    op.create_table(
        "tramite_usage",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("tramite_id", sa.Integer(), nullable=True),
        sa.Column("query", sa.String(length=120), nullable=True),
        sa.Column("at", _AWARE, nullable=False),
        sa.ForeignKeyConstraint(
            ["tramite_id"],
            ["tramites.id"],
            name=op.f("fk_tramite_usage_tramite_id_tramites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tramite_usage")),
    )
    op.create_index("ix_tramite_usage_month_kind", "tramite_usage", ["month", "kind"])


def _postgres_search() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "DO $$ BEGIN "
        "IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'es_unaccent') THEN "
        "CREATE TEXT SEARCH CONFIGURATION public.es_unaccent (COPY = pg_catalog.spanish); "
        "ALTER TEXT SEARCH CONFIGURATION public.es_unaccent "
        "ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, spanish_stem; "
        "END IF; END $$"
    )
    # The weighted document, computed once when a version is published (queries.write_index): a
    # search then reads it from the index and ranks without running the dictionaries per row.
    op.execute("ALTER TABLE tramites ADD COLUMN search_document tsvector")
    op.execute("CREATE INDEX ix_tramites_document ON tramites USING gin (search_document)")
    op.execute("CREATE INDEX ix_tramites_norm_trgm ON tramites USING gin (search_norm gin_trgm_ops)")


def _sqlite_search() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE tramites_fts USING fts5("
        "name, aka, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute("CREATE VIRTUAL TABLE tramites_trgm USING fts5(doc, tokenize = 'trigram')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tramites_norm_trgm")
        op.execute("DROP INDEX IF EXISTS ix_tramites_document")
        op.execute("ALTER TABLE tramites DROP COLUMN IF EXISTS search_document")
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS public.es_unaccent")
    else:
        op.execute("DROP TABLE IF EXISTS tramites_trgm")
        op.execute("DROP TABLE IF EXISTS tramites_fts")
    op.drop_index("ix_tramite_usage_month_kind", table_name="tramite_usage")
    op.drop_table("tramite_usage")
    op.drop_index(op.f("ix_tramite_audit_tramite_id"), table_name="tramite_audit")
    op.drop_table("tramite_audit")
    op.drop_table("tramite_versions")
    op.drop_index(op.f("ix_tramites_dependencia_id"), table_name="tramites")
    op.drop_table("tramites")
