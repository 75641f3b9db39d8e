"""Where entries stand in the log, so the replay judges signing keys as the write path and
``verify`` do: a key whose revocation the log holds before an entry signs nothing in that entry,
whatever ``recorded_at`` the entry claims (see :func:`domain.authorization.authorize`)."""

from __future__ import annotations

from typing import Protocol

from domain.aggregates import Organization, chain_id_of, statement_of
from domain.application import ElevatorLedger
from domain.catalogue.trust_data import KeyRevoked
from domain.rules import statement_data
from domain.trust import KeyInfo


class LogOrder(Protocol):
    """Log positions of entries. They are only compared with one another, so any numbers that
    increase with the log index will do: the log index itself, or the feed position the log
    integrated the entry from."""

    def of_entry(self, subject: str, version: int) -> int | None:
        """The position of the subject's entry at ``version``; None if there is no such entry."""
        ...

    def of_revocation(self, key: KeyInfo) -> int | None:
        """The position of the entry that revoked ``key``; None if no entry revoked it."""
        ...


class LedgerOrder:
    """Log positions from the ledger itself: the feed position (event notification id) of each
    chain entry, which the log is appended in the order of and keeps as its
    ``source_position`` — so two positions compare as the entries' log indexes do, and an
    entry not yet integrated already has one.

    Asked only about keys with a revocation, and about the entries such a key signed.
    """

    def __init__(self, app: ElevatorLedger) -> None:
        self.app = app

    def of_entry(self, subject: str, version: int) -> int | None:
        try:
            return self.app.notification_id_of(chain_id_of(subject), version)
        except (KeyError, ValueError):  # no such chain or version
            return None

    def of_revocation(self, key: KeyInfo) -> int | None:
        """The ``key.revoked`` entry naming the key in its owner's chain (where the
        organization rules require it)."""
        for event in self.app.events.get(Organization.create_id(key.owner)):
            stmt = statement_of(event.entry)  # type: ignore[attr-defined]
            data = statement_data(stmt)
            if isinstance(data, KeyRevoked) and data.key_id == key.key_id:
                return self.of_entry(f"organization:{key.owner}", event.originator_version)
        return None
