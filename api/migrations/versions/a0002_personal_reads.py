"""Reads of personal data: who read which log entry's personal values, and when.

Operator state like the tokens (not ledger data), but kept for accountability: a row is written
before the values are served, and nothing in the API deletes or changes one.

Revision ID: a0002
Revises: a0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0002"
down_revision = "a0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_personal_reads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_id", sa.String(16), nullable=False),
        sa.Column("organization", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
    )
    op.create_index("api_personal_reads_log_index", "api_personal_reads", ["log_index"])
    op.create_index("api_personal_reads_token", "api_personal_reads", ["token_id"])


def downgrade() -> None:
    op.drop_index("api_personal_reads_token", "api_personal_reads")
    op.drop_index("api_personal_reads_log_index", "api_personal_reads")
    op.drop_table("api_personal_reads")
