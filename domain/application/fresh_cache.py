"""Cached aggregates known to be current, without asking the event store about each one.

The eventsourcing repository "fast-forwards" a cached aggregate on every ``get``: one query per
aggregate, in case another process appended to it. On the write path that is several queries
per statement (the subject's chain, the issuer's organization, the signing keys), almost always
answering "nothing new".

:class:`FreshAggregates` answers the same question once per unit of work instead. It keeps the
notification id ``synced`` up to which every cached aggregate is known to reflect the store.
At the start of a unit of work it reads the store's largest notification id; if that is
``synced``, nobody else wrote and every cached aggregate is current. Otherwise it reads the
notifications after ``synced`` (what others wrote since: O(their events), never O(the log)) and
marks the cached aggregates they touched, which are then fast-forwarded as before. After a save
whose notification ids directly follow ``synced`` (no one wrote in between: both recorders hand
out ids in commit order), ``synced`` moves past them; the aggregates saved are the cached ones.

Only the thread running the unit of work takes the shortcut; any other caller gets the
repository's own (fast-forwarding) ``get``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Recording

_PAGE = 1000


class FreshAggregates:
    def __init__(self, app: Application[UUID]) -> None:
        self.app = app
        # The cache is empty now, and whatever is cached later was read from the store after
        # this point: every cached aggregate reflects at least the events up to here.
        self._synced = self._max_id()
        self._stale: set[UUID] = set()
        self._owner: int | None = None  # the thread inside a unit of work

    def _max_id(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def begin(self) -> None:
        """Start a unit of work (inside the application's lock): learn what others wrote."""
        self._owner = threading.get_ident()
        current = self._max_id()
        cache = self.app.repository.cache
        while self._synced < current:
            notifications = self.app.recorder.select_notifications(
                start=self._synced, limit=_PAGE, stop=current, inclusive_of_start=False
            )
            if not notifications:
                break
            cached = {} if cache is None else cache.cache  # only what is cached can be stale
            for n in notifications:
                ident = n.originator_id
                ident = ident if isinstance(ident, UUID) else UUID(str(ident))
                if ident in cached:
                    self._stale.add(ident)
            self._synced = notifications[-1].id
        self._synced = max(self._synced, current)

    def end(self) -> None:
        self._owner = None

    def saved(self, recordings: Sequence[Recording[UUID]]) -> None:
        """After a save in the unit of work: a cached aggregate that is not the one saved (a
        copy was changed and saved) is stale; and if the save's notification ids directly
        follow ``synced``, nobody wrote in between, so ``synced`` moves past them."""
        cache = self.app.repository.cache
        ids: list[int] = []
        for recording in recordings:
            event = recording.domain_event
            ids.append(recording.notification.id)
            if cache is not None:
                try:
                    cached = cache.get(event.originator_id)
                except KeyError:
                    continue
                if cached.version < event.originator_version:
                    self._stale.add(event.originator_id)
        ids.sort()
        if ids and ids == list(range(self._synced + 1, self._synced + 1 + len(ids))):
            self._synced = ids[-1]

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate (not a copy: the unit of work changes it in place), current as of the
        start of the unit of work. Raises the repository's AggregateNotFoundError."""
        repository = self.app.repository
        cache = repository.cache
        if (
            cache is not None
            and self._owner == threading.get_ident()
            and aggregate_id not in self._stale
        ):
            try:
                return cache.get(aggregate_id)
            except KeyError:
                pass
        aggregate: Any = repository.get(aggregate_id, deepcopy_from_cache=False)
        self._stale.discard(aggregate_id)
        return aggregate
