"""The sequencer: integrates a feed of entries into the Merkle log, exactly once.

The feed is any ordered source with positions (here: the event store's
notification log). Integration runs inside the log's write lock: read the
log's source position, read the feed after it, append, sign a checkpoint,
commit. Whichever process gets the lock integrates everyone's pending items,
so concurrent writers share one append and one signature (group commit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger.log import MerkleLog, SignedCheckpoint

#: read(after_position, limit) -> [(position, entry bytes)] in increasing position order
FeedReader = Callable[[int, int], Sequence[tuple[int, bytes]]]


@dataclass(frozen=True)
class Integration:
    positions: dict[int, int]  # feed position -> log index, for what this call integrated
    checkpoint: SignedCheckpoint | None


class Sequencer:
    def __init__(self, log: MerkleLog, read_feed: FeedReader, batch: int = 5000) -> None:
        self.log, self.read_feed, self.batch = log, read_feed, batch

    def integrate(self, max_items: int | None = None) -> Integration:
        """Integrate what the feed holds beyond the log (up to ``max_items``)."""
        placed: dict[int, int] = {}
        with self.log.writer() as w:
            while max_items is None or len(placed) < max_items:
                limit = (
                    self.batch if max_items is None else min(self.batch, max_items - len(placed))
                )
                items = self.read_feed(w.source_position, limit)
                if not items:
                    break
                first = w.size
                w.append([data for _, data in items], positions=[pos for pos, _ in items])
                placed.update((pos, first + i) for i, (pos, _) in enumerate(items))
                if len(items) < limit:
                    break
            checkpoint = w.sign_checkpoint()
        return Integration(placed, checkpoint)
