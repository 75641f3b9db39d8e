"""Throttling failed sign-ins (pure): how many failures, within which window, lock whom until when.

Failures are counted per login and per client address over a sliding window; once a rule's limit
is reached, sign-ins for that login (or from that address) are refused, without checking the
password, until the oldest counted failure leaves the window. Attempts refused while locked are
not failures (they were not checked), so a lock ends on time however often it is knocked on.
The per-address limit is higher: one office behind one NAT address has several people."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Rule:
    limit: int
    window: timedelta

    def locked_until(self, failures: Iterable[datetime], now: datetime) -> datetime | None:
        """When the lock ends, if ``failures`` (instants) lock it at ``now``; else None."""
        recent = sorted(at for at in failures if now - self.window < at <= now)
        if len(recent) < self.limit:
            return None
        return recent[-self.limit] + self.window


PER_LOGIN = Rule(5, timedelta(minutes=15))
PER_CLIENT = Rule(20, timedelta(minutes=15))
#: Failures older than this are deleted when a new one is recorded.
KEEP = timedelta(days=1)


def lock_end(
    login_failures: Iterable[datetime], client_failures: Iterable[datetime], now: datetime
) -> datetime | None:
    """The later end of the two rules' locks at ``now`` (None: not locked)."""
    ends = [
        end
        for end in (
            PER_LOGIN.locked_until(login_failures, now),
            PER_CLIENT.locked_until(client_failures, now),
        )
        if end is not None
    ]
    return max(ends) if ends else None
