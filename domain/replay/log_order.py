"""Where entries stand in the log, so the replay judges signing keys as the write path and
``verify`` do, by log order, whatever ``recorded_at`` an entry claims: a key signs nothing in
an entry the log holds before the key's registration, nor in one it holds after the key's
revocation (see :func:`domain.model.authorization.authorize`; ``verify`` replays the log in order,
so
a key is unknown to it until its ``key.registered`` entry)."""

from __future__ import annotations

from typing import Final, Protocol

from domain.model.trust import KeyInfo

#: The position of a key registered before the log's first entry: the root authority's key,
#: which the trust anchor vouches for from the start (the write path and ``verify`` trust it
#: before any entry registers it). Entry positions are never negative.
BEFORE_THE_LOG: Final = -1


class LogOrder(Protocol):
    """Log positions of entries. They are only compared with one another, so any numbers that
    increase with the log index will do (none negative): the log index itself, or the feed
    position the log integrated the entry from."""

    def of_entry(self, subject: str, version: int) -> int | None:
        """The position of the subject's entry at ``version``; None if there is no such entry."""
        ...

    def of_registration(self, key: KeyInfo) -> int | None:
        """The position of the entry that registered ``key`` — this key: its id, owner, public
        key and terminal binding —, or :data:`BEFORE_THE_LOG` for the root authority's key;
        None if no entry registered it."""
        ...

    def of_revocation(self, key: KeyInfo) -> int | None:
        """The position of the entry that revoked ``key``; None if no entry revoked it."""
        ...
