"""Read-model tables (SQLAlchemy Core). Disposable: a rebuild from the log gives the same rows.

Every instant is an :class:`~ledger.instant.Instant` column (UTC on both backends, so queries
compare and sort instants); where a read model shows an instant, the offset it was signed with is
kept beside it in seconds (``*_offset``) and the read shows it at that offset."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from ledger.instant import Instant

MIGRATIONS = Path(__file__).parent / "migrations"


metadata = MetaData()

#: How far each read model has followed the log (the next log index to apply).
tracking = Table(
    "projection_tracking",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

#: Every entry, as the public sees it: who signed what about whom, where it is in the log.
entries = Table(
    "read_entries",
    metadata,
    Column("log_index", BigInteger, primary_key=True, autoincrement=False),
    Column("entry_hash", String(64), nullable=False, unique=True),
    Column("subject", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("issuer", String(18), nullable=False),
    Column("signers", JSON, nullable=False),  # key ids
    Column("occurred_at", Instant, nullable=False),  # the instant (UTC), compared and sorted
    Column("occurred_offset", Integer, nullable=False),  # seconds east of UTC, as signed
    Column("recorded_at", Instant, nullable=False),  # the ledger's clock, signed in UTC
    Column("late", Boolean, nullable=False),
    Column("public", JSON, nullable=False),  # the statement without personal fields
    Index("read_entries_subject_version", "subject", "version", unique=True),
    Index("read_entries_issuer_occurred", "issuer", "occurred_at"),
    Index("read_entries_type_occurred", "type", "occurred_at"),  # the dashboard's months
)

#: Any identifier of an elevator -> its equipment code (versioned aliases: old codes stay).
identifiers = Table(
    "read_identifiers",
    metadata,
    Column("identifier", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("equipment_code", String(19), nullable=False, index=True),
)

#: One row per elevator: what the QR page and the work lists need.
elevators = Table(
    "read_elevators",
    metadata,
    Column("equipment_code", String(19), primary_key=True),
    Column("lifecycle", String(32), nullable=True),
    Column("district", String(6), nullable=True, index=True),
    Column("use_unit", String(18), nullable=True, index=True),
    Column("maintenance_unit", String(18), nullable=True, index=True),
    Column("contract_valid_to", Date, nullable=True),
    Column("next_maintenance_due", Date, nullable=True),
    Column("next_inspection_due", Date, nullable=True),
    Column("insured_until", Date, nullable=True),
    Column("in_use_since", Date, nullable=True),
    Column("assessed_on", Date, nullable=True),
    Column("open_hazards", Integer, nullable=False, default=0),
    Column("late_entries", Integer, nullable=False, default=0),
    Column("status", JSON, nullable=False),  # the full ElevatorStatus
)

#: Who held which role for an elevator over which interval ([valid_from, valid_to)).
responsibilities = Table(
    "read_responsibilities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("equipment_code", String(19), nullable=False),
    Column("role", String(32), nullable=False),
    Column("organization", String(18), nullable=False),
    Column("valid_from", Instant, nullable=False),
    Column("valid_from_offset", Integer, nullable=False),  # as the opening statement said it
    Column("valid_to", Instant, nullable=True),
    Column("valid_to_offset", Integer, nullable=True),  # as the closing statement said it
    Column("since_log_index", BigInteger, nullable=False),
    Column("until_log_index", BigInteger, nullable=True),
    Index("read_responsibilities_elevator_role", "equipment_code", "role", "valid_from"),
)

#: Organizations and their public profile.
organizations = Table(
    "read_organizations",
    metadata,
    Column("uscc", String(18), primary_key=True),
    Column("name", String(200), nullable=True),
    Column("district", String(6), nullable=True),
    Column("roles", JSON, nullable=False),
    Column("licences", JSON, nullable=False),
)

#: Penalty points of the maintainer scorecard, each traceable to the entries that caused it.
score_points = Table(
    "read_score_points",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("organization", String(18), nullable=False),
    Column("year", Integer, nullable=False),
    Column("policy", String(32), nullable=False),
    Column("item", String(64), nullable=False),
    Column("points", Integer, nullable=False),
    Column("equipment_code", String(19), nullable=True),
    Column("log_indexes", JSON, nullable=False),
    Column("detail", String(300), nullable=False),
    Index("read_score_points_org_year", "organization", "year"),
)
