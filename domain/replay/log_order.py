"""Where entries stand in the log, so the replay judges signing keys as the write path and
``verify`` do, by log order, whatever ``recorded_at`` an entry claims: a key signs nothing in
an entry the log holds before the key's registration, nor in one it holds after the key's
revocation (see :func:`domain.authorization.authorize`; ``verify`` replays the log in order, so
a key is unknown to it until its ``key.registered`` entry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Protocol

from domain.aggregates import Organization, chain_id_of, statement_of
from domain.application import ElevatorLedger
from domain.catalogue.trust_data import KeyRegistered, KeyRevoked
from domain.rules import statement_data
from domain.trust import KeyInfo
from ledger.keys import KeyFormatError, VerifyingKey

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


@dataclass
class _KeyStatements:
    """The key statements of one organization's chain: by key id, the version and data of its
    registration, and the version of its revocation."""

    registered: dict[str, tuple[int, KeyRegistered]] = field(default_factory=dict)
    revoked: dict[str, int] = field(default_factory=dict)


class LedgerOrder:
    """Log positions from the ledger itself: the feed position (event notification id) of each
    chain entry, which the log is appended in the order of and keeps as its
    ``source_position`` — so two positions compare as the entries' log indexes do, and an
    entry not yet integrated already has one.

    Lazy and cached, so a replay costs a few queries whatever the chain's length: the
    positions of a chain's entries are read in one query the first time one is asked for, and
    the key statements of an organization (registrations and revocations, found in the owner's
    chain, where the organization rules require them) in one read of its chain the first time
    one of its keys is asked about.
    """

    def __init__(self, app: ElevatorLedger) -> None:
        self.app = app
        self._positions: dict[str, dict[int, int]] = {}  # by subject: version → position
        self._keys: dict[str, _KeyStatements] = {}

    def of_entry(self, subject: str, version: int) -> int | None:
        positions = self._positions.get(subject)
        if positions is None or version not in positions:  # unread, or grown since
            try:
                chain = chain_id_of(subject)
            except ValueError:  # not "<kind>:<id>"
                return None
            positions = self._positions[subject] = self.app.chain_positions(chain)
        return positions.get(version)

    def of_registration(self, key: KeyInfo) -> int | None:
        anchor = self.app.anchor
        if (key.key_id, key.owner, key.key, key.bound_elevator) == (
            anchor.key.key_id,
            anchor.uscc,
            anchor.key,
            None,
        ):
            return BEFORE_THE_LOG
        found = self._statements(key.owner).registered.get(key.key_id)
        if found is None:
            return None
        version, data = found
        try:
            registered = VerifyingKey.from_b64(data.public_key, data.algorithm)
        except KeyFormatError:  # the write path refuses such a registration
            return None
        if (registered, data.bound_elevator) != (key.key, key.bound_elevator):
            return None  # the entry registered another key, or binding, under this id
        return self.of_entry(f"organization:{key.owner}", version)

    def of_revocation(self, key: KeyInfo) -> int | None:
        version = self._statements(key.owner).revoked.get(key.key_id)
        return None if version is None else self.of_entry(f"organization:{key.owner}", version)

    def _statements(self, owner: str) -> _KeyStatements:
        found = self._keys.get(owner)
        if found is None:
            found = self._keys[owner] = _KeyStatements()
            for event in self.app.events.get(Organization.create_id(owner)):
                data = statement_data(statement_of(event.entry))  # type: ignore[attr-defined]
                if isinstance(data, KeyRegistered):
                    found.registered.setdefault(data.key_id, (event.originator_version, data))
                elif isinstance(data, KeyRevoked):
                    found.revoked.setdefault(data.key_id, event.originator_version)
        return found
