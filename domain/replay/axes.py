"""The two time axes of a replay (which clock decides whether an entry counts as of the instant)
and the parsing of the instant itself."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from domain.model.catalogue import Statement
from ledger.entry import Entry


class Axis(StrEnum):
    """Which clock decides whether an entry counts as of the instant."""

    OCCURRED = "occurred"  # as it happened by T: occurred_at ≤ T (late entries included)
    RECORDED = "recorded"  # as the ledger knew it at T: recorded_at ≤ T


def included(axis: Axis, stmt: Statement, entry: Entry, as_of: datetime) -> bool:
    """Whether the entry counts as of ``as_of`` on ``axis``."""
    if axis is Axis.OCCURRED:
        return stmt.occurred_at <= as_of
    return entry.recorded_at <= as_of


#: A "+" turned into a space by URL decoding (``?as_of=2025-03-01T14:05:00+08:00`` unencoded).
_SPACED_OFFSET = re.compile(r"^(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:\d\d)$")


def parse_instant(text: str) -> datetime:
    """An RFC 3339 instant with its UTC offset (``Z`` or ``±hh:mm``); ``ValueError`` otherwise.

    A space in place of the offset's ``+`` (an unencoded ``+`` in a query string) is read as
    ``+``.
    """
    candidate = text.strip()
    spaced = _SPACED_OFFSET.match(candidate)
    if spaced:
        candidate = f"{spaced[1]}+{spaced[2]}"
    try:
        at = datetime.fromisoformat(candidate)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an RFC 3339 instant such as 2025-03-01T14:05:00+08:00"
        ) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset: add one, such as +08:00 or Z")
    return at
