"""The ledger's tables. Alembic migrations in ``ledger/migrations`` create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)

metadata = MetaData()

# One row per log entry: the exact bytes that were hashed into the leaf.
log_entries = Table(
    "log_entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
    # Position in the feed the entry came from (e.g. an event notification id),
    # so a sequencer resumes exactly where it stopped.
    Column("source_position", BigInteger, nullable=True, unique=True),
)

# Hashes of perfect subtrees, keyed by flat-tree number (see ledger.log.node_key).
log_nodes = Table(
    "log_nodes",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# Exactly one row (id = 1): the tree size and the size of the latest checkpoint.
log_state = Table(
    "log_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("checkpoint_size", BigInteger, nullable=False),
)

log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
)
