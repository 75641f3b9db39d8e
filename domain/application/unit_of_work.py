"""One unit of work: the statements of a batch, judged in turn and saved together.

Later statements of a batch must see what earlier ones did (a chain appended to, a key just
registered or revoked) before anything is saved, so the aggregates they touch are kept here,
not re-read; a failed save forgets them from the repository's cache (their in-memory changes
were never stored).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.application.aggregates import KeyRecord, SubjectChain
from domain.application.preverify import Preverified
from domain.model.admission import Accepted


@dataclass
class UnitOfWork:
    """Aggregates touched by one unit of work, so later statements see earlier ones."""

    chains: dict[UUID, SubjectChain] = field(default_factory=dict)
    keys: dict[UUID, KeyRecord] = field(default_factory=dict)  # changed in this unit of work
    key_lookups: dict[UUID, KeyRecord | None] = field(default_factory=dict)  # read-only memo
    pending: dict[tuple[UUID, str], Accepted] = field(default_factory=dict)  # by payload hash
    #: per envelope (by position): parsed once, and (public key, signature) -> verified
    preverified: Preverified = field(default_factory=Preverified)
    accepted: list[Accepted] = field(default_factory=list)

    def changed(self) -> list[SubjectChain | KeyRecord]:
        """What to save: every chain and key record this unit of work touched."""
        return [*self.chains.values(), *self.keys.values()]

    def evict(self, cache: Any) -> None:
        """Forget from the repository's ``cache`` (if any) the aggregates this unit of work
        may have changed in memory, when it is not saved."""
        if cache is not None:
            for aggregate_id in [*self.chains, *self.keys]:
                with contextlib.suppress(KeyError):
                    cache.get(aggregate_id, evict=True)
