"""An index of the entries read model by statement type and instant.

The console's dashboard counts the entries of one kind over months (maintenance visits, fault
reports, rescue alarms and arrivals, stops; the suspicious-visits list too): by type and
``occurred_at``. The table was indexed only by subject and version and by issuer, so each of
those queries scanned every entry of the city. Read models are disposable, but an index needs
no refold: this creates it over the rows already there.

Revision ID: p0004
Revises: p0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p0004"
down_revision = "p0003"
branch_labels = None
depends_on = None


NAME = "read_entries_type_occurred"


def upgrade() -> None:
    """Create the index where it is missing (a database made since has it from the schema the
    first revision creates)."""
    existing = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("read_entries")}
    if NAME not in existing:
        op.create_index(NAME, "read_entries", ["type", "occurred_at"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="read_entries")
