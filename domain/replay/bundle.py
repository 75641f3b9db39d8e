"""An elevator's bundle checked by what its entries say: every envelope signature under a key
registered before it in log order, with nothing but the bundle (no database, no network).

``ledger.bundle.open_bundle`` has already proved the entries are in the log under a signed
checkpoint and that each chain is whole and linked. Here the bundle's organization chains
give the keys (their ``key.registered`` and ``key.revoked`` statements) and the bundle's log
indices give the order (:class:`BundleOrder`, the :class:`~domain.replay.log_order.LogOrder`
of a bundle); then

* every organization entry's signatures verify under keys the bundle registers before it (the
  root authority's key from before the log), not revoked before it, one of them the issuer's;
* the elevator's chain goes through the regulator's replay fold (:func:`domain.replay.replay`),
  which re-verifies each entry's form, links and signatures the same way, the co-signer's too.

Roles, licences and lifecycle rules are the full ``verify``'s (it replays the write path over
the whole log); a bundle holds too little of the log for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from pydantic import ValidationError

from domain.model.catalogue import Subject
from domain.model.catalogue.trust_data import KeyRegistered, KeyRevoked
from domain.model.rules import statement_data
from domain.model.subjects import SubjectError, SubjectRef
from domain.model.submission import statement_of
from domain.model.trust import KeyInfo, TrustAnchor
from domain.replay.fold import Replay, replay
from domain.replay.log_order import BEFORE_THE_LOG
from ledger.dsse import EnvelopeError, parse_envelope
from ledger.entry import Entry
from ledger.keys import KeyFormatError, VerifyingKey

#: By subject, the chain's entries in version order as ``(log index, entry bytes)``.
Chains = Mapping[str, Sequence[tuple[int, bytes]]]


class BundleRejected(ValueError):
    """What the entries say does not hold: the first failure, named."""


@dataclass(frozen=True)
class _Registration:
    index: int
    info: KeyInfo


class BundleOrder:
    """The :class:`~domain.replay.log_order.LogOrder` of a bundle: positions are the log
    indices the bundle's inclusion proofs vouch for, and keys are those its organization
    chains register and revoke."""

    def __init__(self, chains: Chains, anchor: TrustAnchor) -> None:
        self.anchor = anchor
        self.positions = {s: [index for index, _ in chain] for s, chain in chains.items()}
        self.registrations: dict[str, _Registration] = {}
        self.revocations: dict[str, int] = {}
        self.revoked_at: dict[str, datetime] = {}  # the revocations' occurred_at, as KeyInfo
        for subject, chain in sorted(chains.items()):
            if _organization(subject) is not None:
                self._read_keys(_organization(subject) or "", chain)

    def _read_keys(self, owner: str, chain: Sequence[tuple[int, bytes]]) -> None:
        for index, data in chain:
            try:
                found = statement_data(statement_of(data.decode()))
            except (ValidationError, ValueError, KeyError, TypeError):
                continue  # not a key statement this can read: the signature check names it
            if isinstance(found, KeyRegistered):
                self._registered(owner, index, found, statement_of(data.decode()).occurred_at)
            elif isinstance(found, KeyRevoked) and found.key_id not in self.revocations:
                self.revocations[found.key_id] = index
                self.revoked_at[found.key_id] = statement_of(data.decode()).occurred_at

    def _registered(self, owner: str, index: int, data: KeyRegistered, at: datetime) -> None:
        try:
            key = VerifyingKey.from_b64(data.public_key, data.algorithm)
        except KeyFormatError:
            return  # the write path refuses such a registration
        if key.key_id != data.key_id or data.key_id in self.registrations:
            return
        info = KeyInfo(data.key_id, owner, key, data.bound_elevator, at, None)
        self.registrations[data.key_id] = _Registration(index, info)

    def key(self, key_id: str) -> KeyInfo | None:
        """The key registered under ``key_id`` in the bundle (the anchor's from the trust)."""
        found = self.registrations.get(key_id)
        if found is None:
            return self.anchor.key_info if key_id == self.anchor.key.key_id else None
        info = found.info
        revoked = self.revoked_at.get(key_id)
        if revoked is None:
            return info
        return KeyInfo(
            info.key_id, info.owner, info.key, info.bound_elevator, info.registered_at, revoked
        )

    def of_entry(self, subject: str, version: int) -> int | None:
        positions = self.positions.get(subject, [])
        return positions[version - 1] if 1 <= version <= len(positions) else None

    def of_registration(self, key: KeyInfo) -> int | None:
        anchor = self.anchor
        if (key.key_id, key.owner, key.key, key.bound_elevator) == (
            anchor.key.key_id,
            anchor.uscc,
            anchor.key,
            None,
        ):
            return BEFORE_THE_LOG
        found = self.registrations.get(key.key_id)
        if found is None or (found.info.owner, found.info.key, found.info.bound_elevator) != (
            key.owner,
            key.key,
            key.bound_elevator,
        ):
            return None
        return found.index

    def of_revocation(self, key: KeyInfo) -> int | None:
        return self.revocations.get(key.key_id)


def _organization(subject: str) -> str | None:
    try:
        ref = SubjectRef.parse(subject)
    except SubjectError:
        return None
    return ref.id if ref.kind is Subject.ORGANIZATION else None


@dataclass(frozen=True)
class BundleVerdict:
    equipment_code: str
    organization_entries: int
    replay: Replay


def check_bundle(
    chains: Chains, equipment_code: str, anchor: TrustAnchor, as_of: datetime
) -> BundleVerdict:
    """Check every signature in the bundle (module doc); raises :class:`BundleRejected`
    naming the first entry that fails."""
    elevator = str(SubjectRef.elevator(equipment_code))
    if elevator not in chains:
        raise BundleRejected(f"the bundle holds no chain of {elevator}")
    authority = str(SubjectRef.organization(anchor.uscc))
    if authority not in chains:
        raise BundleRejected(f"the bundle holds no chain of the root authority {anchor.uscc}")
    order = BundleOrder(chains, anchor)
    organization_entries = [
        (index, subject, version, data)
        for subject, chain in chains.items()
        if subject != elevator
        for version, (index, data) in enumerate(chain, 1)
    ]
    for index, subject, version, data in sorted(organization_entries):
        try:
            _check_organization_entry(data, order)
        except BundleRejected as exc:
            raise BundleRejected(f"entry {index} ({subject} version {version}): {exc}") from None
    result = replay(
        [data for _, data in chains[elevator]],
        as_of,
        "recorded",
        order.key,
        order=order,
        equipment_code=equipment_code,
    )
    if not result.verified:
        at = order.of_entry(elevator, result.failed_version or 1)
        raise BundleRejected(f"entry {at} ({elevator} {result.problem})")
    return BundleVerdict(equipment_code, len(organization_entries), result)


def _check_organization_entry(data: bytes, order: BundleOrder) -> None:
    """Every signature verifies under a key the bundle holds, registered before this entry in
    log order and not revoked before it; one of them is a key of the statement's issuer."""
    doc_subject, here = _subject_and_index(data, order)
    try:
        envelope = parse_envelope(orjson.loads(data)["envelope"])
        statement = statement_of(data.decode())
    except (EnvelopeError, ValidationError, ValueError, KeyError, TypeError) as exc:
        raise BundleRejected(f"not a readable statement: {exc}") from None
    message = envelope.pae()
    owners: set[str] = set()
    for number, sig in enumerate(envelope.signatures, 1):
        info = order.key(sig.keyid)
        if info is None:
            raise BundleRejected(
                f"signature {number} names key {sig.keyid[:16]}…, which no entry of the bundle"
                " registers"
            )
        if not info.key.verify(message, sig.sig):
            raise BundleRejected(f"signature {number} (key {sig.keyid[:16]}…) does not verify")
        registered = order.of_registration(info)
        if registered is None or registered >= here:
            raise BundleRejected(
                f"signature {number}: key {sig.keyid[:16]}… is registered later in the log"
            )
        revoked = order.of_revocation(info)
        if revoked is not None and revoked < here:
            raise BundleRejected(
                f"signature {number}: key {sig.keyid[:16]}… was revoked earlier in the log"
            )
        owners.add(info.owner)
    if statement.issuer not in owners:
        raise BundleRejected(f"no signature by a key of the issuer {statement.issuer}")
    if (
        statement.organization is not None
        and str(SubjectRef.organization(statement.organization)) != doc_subject
    ):
        raise BundleRejected(f"the statement is about {statement.organization}, not {doc_subject}")


def _subject_and_index(data: bytes, order: BundleOrder) -> tuple[str, int]:
    entry = Entry.from_bytes(data)
    index = order.of_entry(entry.subject, entry.version)
    if index is None:  # open_bundle placed every entry; this is a caller's error
        raise BundleRejected("the entry is not placed in the log")
    return entry.subject, index
