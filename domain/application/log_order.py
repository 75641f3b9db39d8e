"""``LedgerOrder``: the replay's :class:`~domain.replay.log_order.LogOrder` read from the ledger's
own log (entries' log indexes, and key registrations and revocations found in their owners'
chains)."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.application.elevator_ledger import ElevatorLedger
from domain.application.log_chains import LogChains
from domain.model.catalogue import Subject
from domain.model.catalogue.trust_data import KeyRegistered, KeyRevoked
from domain.model.rules import statement_data
from domain.model.subjects import SubjectRef
from domain.model.submission import statement_of
from domain.model.trust import KeyInfo
from domain.replay.log_order import BEFORE_THE_LOG
from ledger.keys import KeyFormatError, VerifyingKey


@dataclass
class _KeyStatements:
    """The key statements of one organization's chain: by key id, the version and data of its
    registration, and the version of its revocation."""

    registered: dict[str, tuple[int, KeyRegistered]] = field(default_factory=dict)
    revoked: dict[str, int] = field(default_factory=dict)


class LedgerOrder:
    """Log positions from the ledger's log itself: the log index of each chain entry, read
    with the chain from the log (:class:`domain.application.log_chains.LogChains`; the event store
    only
    says where the entries are), and the key statements of each signer's organization from
    its chain in the log.

    Lazy and cached, so a replay costs a few queries whatever the chain's length: a chain is
    read the first time one of its entries is asked for (again if asked for a version beyond
    it), and an organization's key statements (registrations and revocations, found in the
    owner's chain, where the organization rules require them) the first time one of its keys
    is asked about.
    """

    def __init__(self, app: ElevatorLedger, chains: LogChains) -> None:
        self.app, self.chains = app, chains
        self._positions: dict[str, list[int]] = {}  # by subject: log index of each version
        self._keys: dict[str, _KeyStatements] = {}

    def of_entry(self, subject: str, version: int) -> int | None:
        positions = self._positions.get(subject)
        if positions is None or version > len(positions):  # unread, or grown since
            positions = self._read(subject)
        return positions[version - 1] if 1 <= version <= len(positions) else None

    def _read(self, subject: str) -> list[int]:
        entries = self.chains.entries(subject)
        positions = self._positions[subject] = [e.index for e in entries]
        ref = SubjectRef.parse(subject)
        if ref.kind is Subject.ORGANIZATION:
            self._keys[ref.id] = _key_statements([e.data.decode() for e in entries])
        return positions

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
        return self.of_entry(str(SubjectRef.organization(key.owner)), version)

    def of_revocation(self, key: KeyInfo) -> int | None:
        version = self._statements(key.owner).revoked.get(key.key_id)
        return (
            None
            if version is None
            else self.of_entry(str(SubjectRef.organization(key.owner)), version)
        )

    def _statements(self, owner: str) -> _KeyStatements:
        if owner not in self._keys:
            self._read(str(SubjectRef.organization(owner)))
        return self._keys[owner]


def _key_statements(entries: list[str]) -> _KeyStatements:
    """The key registrations and revocations in one organization's chain (version order)."""
    found = _KeyStatements()
    for version, entry in enumerate(entries, start=1):
        data = statement_data(statement_of(entry))
        if isinstance(data, KeyRegistered):
            found.registered.setdefault(data.key_id, (version, data))
        elif isinstance(data, KeyRevoked):
            found.revoked.setdefault(data.key_id, version)
    return found
