"""Refold every elevator's status from the log, so that a lift not yet registered is placed in
the district its construction notice names.

Before, an elevator's district came only from its use registration, so a lift being installed
(施工告知 sent, not yet registered) was in no district: no bureau's console, work list or
dashboard showed it, although the notice goes to the bureau where the work is. Read models are
disposable: this empties the ``elevators`` model and its tracking row, as p0003 did, and the
runner refolds it from the signed log on its next catch-up.

Revision ID: p0005
Revises: p0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from projections.schema import elevators, identifiers, tracking

revision = "p0005"
down_revision = "p0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.delete(elevators))
    bind.execute(sa.delete(identifiers))
    bind.execute(sa.delete(tracking).where(tracking.c.name == "elevators"))


def downgrade() -> None:
    """Nothing to undo: the rows are refolded from the log either way."""
