"""Read models: entries, identifiers, elevator status, responsibilities, organizations, scores.

Read models are disposable. A later change to one ships as a migration that drops and recreates
its table and deletes its row in projection_tracking, so the runner rebuilds it from the log.

Revision ID: p0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

from projections.schema import metadata

revision = "p0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(bind=op.get_bind())


def downgrade() -> None:
    metadata.drop_all(bind=op.get_bind())
