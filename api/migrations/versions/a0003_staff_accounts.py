"""Staff accounts of the console and the desk, their sessions, failed sign-ins (throttling), and
the districts a regulator's bearer token is scoped to.

Operator state like the tokens: nothing here is signed, logged or exported. Sessions keep only a
SHA-256 of their secret, accounts only an argon2id hash of their password. ``districts`` of a
token: NULL means the districts its organization is registered in (as the read models know it).

Revision ID: a0003
Revises: a0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0003"
down_revision = "a0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_staff_accounts",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("login", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organization", sa.String(18), nullable=False),
        sa.Column("desk", sa.String(8), nullable=False),
        sa.Column("districts", sa.JSON(), nullable=True),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("api_staff_accounts_organization", "api_staff_accounts", ["organization"])
    op.create_table(
        "api_staff_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(16), nullable=False),
        sa.Column("desk", sa.String(8), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(32), nullable=True),
    )
    op.create_index("api_staff_sessions_account", "api_staff_sessions", ["account_id"])
    op.create_table(
        "api_sign_in_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
    )
    op.create_index("api_sign_in_failures_login", "api_sign_in_failures", ["login", "at"])
    op.create_index("api_sign_in_failures_client", "api_sign_in_failures", ["client", "at"])
    with op.batch_alter_table("api_access_tokens") as batch:
        batch.add_column(sa.Column("districts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_access_tokens") as batch:
        batch.drop_column("districts")
    op.drop_index("api_sign_in_failures_client", "api_sign_in_failures")
    op.drop_index("api_sign_in_failures_login", "api_sign_in_failures")
    op.drop_table("api_sign_in_failures")
    op.drop_index("api_staff_sessions_account", "api_staff_sessions")
    op.drop_table("api_staff_sessions")
    op.drop_index("api_staff_accounts_organization", "api_staff_accounts")
    op.drop_table("api_staff_accounts")
