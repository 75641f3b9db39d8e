"""Alembic environment for the ledger's tables; always run through ledger.migrate."""

from __future__ import annotations

from ledger.migrate import run_environment
from ledger.schema import metadata

run_environment(metadata, "ledger_alembic_version")
