"""Refold every elevator's status from the log, so that it carries what the QR page's badge says.

The status gained the details the badge shows (rescues in progress with the number trapped, the
stop's reason and since when, hazards with description and deadline, a failed inspection and its
findings, scrap and cancellation reasons). A row folded before holds none of them, and a failed
inspection is known only from them: such a row would badge a lift that must not run as 正常使用.
Read models are disposable, so this empties the ``elevators`` model (its status rows and the
identifiers it fills) and deletes its tracking row: the runner refolds it from the signed log on
its next catch-up.

Revision ID: p0003
Revises: p0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from projections.schema import elevators, identifiers, tracking

revision = "p0003"
down_revision = "p0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.delete(elevators))
    bind.execute(sa.delete(identifiers))
    bind.execute(sa.delete(tracking).where(tracking.c.name == "elevators"))


def downgrade() -> None:
    """Nothing to undo: the rows are refolded from the log either way."""
