"""Reveals in the console: the record of reads of personal data also holds the staff's.

``api_personal_reads`` gets a ``kind`` (``token``: a bearer-token read of
``GET /v1/regulator/entries/{index}``; ``console``: a reveal in the console), the staff
account's id and login and the reason the reader gave; ``token_id`` becomes nullable (a
console reveal has none). Existing rows are token reads. One table, so that
``elevator-ledger token reads`` and the bureau's page list the same record.

Revision ID: a0004
Revises: a0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0004"
down_revision = "a0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_personal_reads") as batch:
        batch.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default="token"))
        batch.alter_column("token_id", existing_type=sa.String(16), nullable=True)
        batch.add_column(sa.Column("account_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("login", sa.String(200), nullable=True))
        batch.add_column(sa.Column("reason", sa.String(500), nullable=True))
    op.create_index("api_personal_reads_organization", "api_personal_reads", ["organization", "id"])


def downgrade() -> None:
    console = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM api_personal_reads WHERE kind <> 'token'"))
        .scalar_one()
    )
    if console:  # the record of reveals is kept for accountability: never dropped silently
        raise RuntimeError(f"{console} console reveals are recorded; a0002 cannot hold them")
    op.drop_index("api_personal_reads_organization", "api_personal_reads")
    with op.batch_alter_table("api_personal_reads") as batch:
        batch.drop_column("reason")
        batch.drop_column("login")
        batch.drop_column("account_id")
        batch.alter_column("token_id", existing_type=sa.String(16), nullable=False)
        batch.drop_column("kind")
