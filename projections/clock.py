"""The ledger's calendar: which date "today" is, and where a day begins, in its time zone.

Due dates, contracts and insurance are calendar dates of the city the ledger serves (Yiyang:
``Asia/Shanghai``). Taking "today" from UTC made every flag, work list and QR badge a day
behind for the first eight hours of each Chinese day (a visit due yesterday was not yet
overdue at 07:59 in Yiyang). Every caller that asks "is it due" takes its date here, from an
instant and the ledger's zone; the domain's rules are given that date, never read a clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo


def today_in(zone: tzinfo, now: datetime | None = None) -> date:
    """The date it is in ``zone`` at the instant ``now`` (default: the system clock)."""
    at = datetime.now(UTC) if now is None else now
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return at.astimezone(zone).date()


def day_start(day: date, zone: tzinfo) -> datetime:
    """The instant ``day`` begins in ``zone``."""
    return datetime.combine(day, time.min, tzinfo=zone)


def local_date(at: datetime, zone: tzinfo) -> date:
    """The date in ``zone`` on which the instant ``at`` falls."""
    return at.astimezone(zone).date()
