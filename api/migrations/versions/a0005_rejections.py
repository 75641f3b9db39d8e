"""The enterprise desk's log of rejected submissions (api/rejection_log.py): per issuer, bounded,
beside the ledger and never in it.

Revision ID: a0005
Revises: a0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0005"
down_revision = "a0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_rejections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),  # an Instant (UTC)
        sa.Column("issuer", sa.String(18), nullable=False),
        sa.Column("key_id", sa.String(128), nullable=False),
        sa.Column("statement_type", sa.String(128), nullable=True),
        sa.Column("subject", sa.String(160), nullable=True),
        sa.Column("nonce", sa.String(128), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("problem_type", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=True),
        sa.Column("detail", sa.String(2000), nullable=False),
    )
    op.create_index("api_rejections_issuer_id", "api_rejections", ["issuer", "id"])


def downgrade() -> None:
    op.drop_index("api_rejections_issuer_id", "api_rejections")
    op.drop_table("api_rejections")
