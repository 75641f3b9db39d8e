"""Instants in SQL: the same instant on SQLite and PostgreSQL, whatever offset it came with.

SQLAlchemy's ``DateTime(timezone=True)`` is a ``timestamptz`` on PostgreSQL, which stores the
instant; on SQLite it writes the *wall time* and drops the offset, so ``14:05+08:00`` came
back as ``14:05`` and was read as 14:05 UTC — eight hours off — and two instants signed at
different offsets compared as their wall times. :class:`Instant` normalises every value to UTC
before either backend sees it (so SQLite's text is UTC wall time, fixed width, and sorts and
compares as the instant) and hands back aware UTC datetimes from both. A naive datetime is
refused: it names no instant.

The offset a value was signed with is not an instant's property and is not kept here; a table
that shows it keeps it beside the instant (:func:`offset_seconds`, :func:`at_offset`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator


class Instant(TypeDecorator[datetime]):
    """An aware datetime stored as the instant it names (UTC on both backends)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"an instant must be a datetime, not {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} has no UTC offset: it names no instant")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"stored instant is {type(value).__name__}, not a datetime")
        # SQLite hands back the naive UTC wall time written by process_bind_param
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def offset_seconds(at: datetime) -> int:
    """The UTC offset ``at`` was written with, in seconds east of UTC (RFC 3339 offsets are
    whole minutes; whole seconds are kept exactly, a fraction is refused)."""
    offset = at.utcoffset()
    if offset is None:
        raise ValueError(f"{at.isoformat()} has no UTC offset")
    if offset.microseconds:
        raise ValueError(f"{at.isoformat()}: an offset with a fraction of a second")
    return int(offset.total_seconds())


def at_offset(instant: datetime, seconds: int) -> datetime:
    """``instant`` shown at the offset it was written with (see :func:`offset_seconds`)."""
    return instant.astimezone(timezone(timedelta(seconds=seconds)))
