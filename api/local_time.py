"""Instants as people in the ledger's city read them: the date and the time in its time zone.

Read models give instants at the offset they were signed with (exact, for auditors); a page for
passengers shows every instant on one clock, the ledger's (``LEDGER_TIME_ZONE``), with the zone
said, so a statement signed in UTC and one signed at +08:00 read alike and in order.
"""

from __future__ import annotations

from datetime import datetime, tzinfo


def _instant(value: datetime | str) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no UTC offset: it names no instant")
    return at


def on_ledger_clock(at: datetime, zone: tzinfo) -> datetime:
    """The same instant at ``zone``'s offset; as given where ``zone`` has no wall time for it
    (within hours of year 1 or 9999: datetime's range ends there)."""
    try:
        return at.astimezone(zone)
    except OverflowError:
        return at


def local_date(value: datetime | str, zone: tzinfo) -> str:
    """``YYYY-MM-DD``: the date the instant falls on in ``zone``."""
    return _instant(value).astimezone(zone).date().isoformat()


def local_time(value: datetime | str, zone: tzinfo) -> str:
    """``YYYY-MM-DD HH:MM (UTC+08:00)``: the instant on the clock of ``zone``, offset said."""
    at = _instant(value).astimezone(zone)
    offset = at.strftime("%z")
    return f"{at:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:5]})"
