"""The sequencer: integrates a feed of entries into the Merkle log, exactly once.

The feed is any ordered source with positions (here: the event store's
notification log). Integration runs inside the log's write lock: read the
log's source position, read the feed after it, append, sign a checkpoint,
commit. Whichever process gets the lock integrates everyone's pending items,
so concurrent writers share one append and one signature (group commit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ledger.log import MerkleLog, SignedCheckpoint


class FeedReader(Protocol):
    def __call__(
        self, after: int, limit: int, known: Mapping[int, bytes] = ...
    ) -> Sequence[tuple[int, bytes]]:
        """[(position, entry bytes)] after ``after``, in increasing position order, at most
        ``limit``. ``known``: entries the caller has just written, by position, which the
        reader may take from there instead of reading them back (they are exactly what the
        feed holds at those positions)."""
        ...


@dataclass(frozen=True)
class Integration:
    positions: dict[int, int]  # feed position -> log index, for what this call integrated
    checkpoint: SignedCheckpoint | None


class Sequencer:
    def __init__(self, log: MerkleLog, read_feed: FeedReader, batch: int = 5000) -> None:
        self.log, self.read_feed, self.batch = log, read_feed, batch

    def integrate(
        self, max_items: int | None = None, known: Mapping[int, bytes] | None = None
    ) -> Integration:
        """Integrate what the feed holds beyond the log (up to ``max_items``); ``known``: see
        :class:`FeedReader`."""
        placed: dict[int, int] = {}
        with self.log.writer() as w:
            while max_items is None or len(placed) < max_items:
                limit = (
                    self.batch if max_items is None else min(self.batch, max_items - len(placed))
                )
                items = self.read_feed(w.source_position, limit, known or {})
                if not items:
                    break
                first = w.size
                w.append([data for _, data in items], positions=[pos for pos, _ in items])
                placed.update((pos, first + i) for i, (pos, _) in enumerate(items))
                if len(items) < limit:
                    break
            checkpoint = w.sign_checkpoint()
        return Integration(placed, checkpoint)
