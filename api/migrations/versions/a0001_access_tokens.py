"""Regulator access tokens: only a SHA-256 hash of each token is stored.

Operator state, not ledger data: nothing here is signed, logged or exported, and losing the
table only means issuing new tokens.

Revision ID: a0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_access_tokens",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("organization", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("api_access_tokens_organization", "api_access_tokens", ["organization"])


def downgrade() -> None:
    op.drop_index("api_access_tokens_organization", "api_access_tokens")
    op.drop_table("api_access_tokens")
