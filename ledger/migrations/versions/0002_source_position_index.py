"""An index on log_entries.source_position: where a chain's entries are found in the log.

The read side takes every entry it shows from the log; the event store gives only where
(the feed positions the log keeps as ``source_position``), so a lookup by position must not
scan the log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("log_entries_source_position", "log_entries", ["source_position"])


def downgrade() -> None:
    op.drop_index("log_entries_source_position", table_name="log_entries")
