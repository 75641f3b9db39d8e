"""Time in the demo city: China Standard Time, working hours, months, and how soon a statement
reaches the ledger."""

from __future__ import annotations

import calendar
import random
from datetime import date, datetime, time, timedelta, timezone

#: China Standard Time (Asia/Shanghai has had no DST since 1991): every ``occurred_at`` uses it.
CST = timezone(timedelta(hours=8), "CST")

DAY = timedelta(days=1)


def work_time(day: date, rng: random.Random, lo: float = 8.5, hi: float = 17.5) -> datetime:
    """A random instant between ``lo`` and ``hi`` o'clock of ``day``, China time."""
    minute = rng.randint(int(lo * 60), int(hi * 60))
    return datetime.combine(day, time(minute // 60, minute % 60, rng.randint(0, 59)), CST)


def soon(t: datetime, rng: random.Random, lo: int = 30, hi: int = 900) -> datetime:
    """``t`` plus ``lo``..``hi`` seconds: when a timely statement reaches the ledger."""
    return t + timedelta(seconds=rng.randint(lo, hi))


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def iso(t: datetime) -> str:
    return t.astimezone(CST).replace(microsecond=0).isoformat()


def local_date(t: datetime) -> date:
    return t.astimezone(CST).date()
