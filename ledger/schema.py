"""The ledger's tables. Alembic migrations in ``ledger/migrations`` create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)

from ledger.instant import Instant

metadata = MetaData()

# One row per log entry: the exact bytes that were hashed into the leaf.
log_entries = Table(
    "log_entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    # Position of the entry in the feed it came from (e.g. its event notification id),
    # increasing with idx. Indexed (migration 0002): the read side finds a chain's entries in
    # the log by the positions its index (the event store) gives (ledger.stored_entries).
    Column("source_position", BigInteger, nullable=True),
    Index("log_entries_source_position", "source_position"),
)

# Hashes of perfect subtrees at even levels >= 2, keyed by flat-tree number
# (see ledger.merkle.node_key); odd levels are one hash away from the level below.
log_nodes = Table(
    "log_nodes",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# Exactly one row (id = 1): the tree size, the size of the latest checkpoint, and
# the position in the feed the log follows (e.g. the last integrated event
# notification id), so a sequencer resumes exactly once.
log_state = Table(
    "log_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("checkpoint_size", BigInteger, nullable=False),
    Column("source_position", BigInteger, nullable=False),
)

log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", Instant, nullable=False),  # same DDL as DateTime(timezone=True)
)
