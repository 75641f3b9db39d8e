"""Instants as instants: UTC storage on every backend, and the signed offset kept beside it.

On SQLite, ``read_entries.occurred_at`` and ``read_responsibilities.valid_from``/``valid_to``
held the signer's wall time with the offset dropped (``14:05+08:00`` stored as ``14:05``,
read back as 14:05 UTC). Those rows cannot be repaired in place (the offset is gone), and read
models are disposable: this drops both tables, creates them as projections/schema.py defines
them now (``Instant`` columns plus ``occurred_offset``, ``valid_from_offset`` and
``valid_to_offset``), and deletes their rows in ``projection_tracking``, so the runner
rebuilds them from the signed log on its next catch-up. The other read models hold no
instants and are kept.

Revision ID: p0002
Revises: p0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.instant import Instant
from projections.schema import entries, responsibilities, tracking

revision = "p0002"
down_revision = "p0001"
branch_labels = None
depends_on = None

#: Table -> the read model (tracking row) that fills it.
REBUILT = {entries: "entries", responsibilities: "responsibilities"}


def upgrade() -> None:
    bind = op.get_bind()
    for table, model in REBUILT.items():
        table.drop(bind, checkfirst=True)
        table.create(bind)
        bind.execute(sa.delete(tracking).where(tracking.c.name == model))


def downgrade() -> None:
    """Back to p0001's shape (plain ``DateTime(timezone=True)``, no offsets), empty: the rows
    are rebuilt from the log either way."""
    bind = op.get_bind()
    old = sa.MetaData()
    for table, model in REBUILT.items():
        table.drop(bind, checkfirst=True)
        bind.execute(sa.delete(tracking).where(tracking.c.name == model))
        columns = [
            sa.Column(c.name, sa.DateTime(timezone=True), nullable=c.nullable)
            if isinstance(c.type, Instant)
            else c._copy()
            for c in table.columns
            if not c.name.endswith("_offset")
        ]
        indexes = [
            sa.Index(i.name, *[c.name for c in i.columns], unique=bool(i.unique))
            for i in table.indexes
        ]
        sa.Table(table.name, old, *columns, *indexes).create(bind)
