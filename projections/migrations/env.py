"""Alembic environment for the read models; run through ledger.migrate.upgrade."""

from __future__ import annotations

from ledger.migrate import run_environment
from projections.schema import metadata

run_environment(metadata, "projections_alembic_version")
