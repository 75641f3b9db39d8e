"""Instants for test histories, counted in days from an origin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Days:
    """Instants ``days`` after ``origin`` (fractions allowed) and the dates they fall on.

    A test module names its origin once and takes the two helpers::

        HISTORY = Days(NOW - timedelta(days=800))
        at, day = HISTORY.at, HISTORY.day
    """

    origin: datetime

    def at(self, days: float) -> datetime:
        """The instant ``days`` after the origin."""
        return self.origin + timedelta(days=days)

    def day(self, days: float) -> str:
        """The ISO date of :meth:`at` ``(days)``, in the origin's time zone."""
        return self.at(days).date().isoformat()
