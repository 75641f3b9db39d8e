"""Re-verification of one chain entry: its form, version and ``prev`` link, every signature under
the key its ``keyid`` names, and a key of the issuer — and, for a type that needs one, of the
co-signer — registered before the entry in the log and not revoked before it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from domain.model.catalogue import MaintenanceContractSigned, Statement, Subject
from domain.model.rules import statement_data
from domain.model.subjects import SubjectError, SubjectRef
from domain.model.submission import STATEMENT_PAYLOAD_TYPE
from domain.model.trust import KeyInfo
from domain.replay.log_order import LogOrder
from ledger.canonical import is_canonical
from ledger.dsse import EnvelopeError
from ledger.entry import Entry, EntryError, entry_hash

#: ``keys(key_id)``: the key the ledger registered under that id (owner included), or None.
KeyLookup = Callable[[str], KeyInfo | None]


class BrokenEntry(Exception):
    """One entry failed re-verification: the fold reports it, never raises it to its caller."""


@dataclass(frozen=True, slots=True)
class VerifiedEntry:
    """An entry that re-verified, with what the fold needs of it."""

    entry: Entry
    subject: SubjectRef  # the elevator the entry is about
    statement: Statement
    entry_hash: str
    signer_key_ids: tuple[str, ...]


def _short(digest: str | None) -> str:
    return "none" if digest is None else f"{digest[:16]}…"


def verify_entry(
    data: bytes,
    expected_version: int,
    prev_hash: str | None,
    code: str | None,
    keys: KeyLookup,
    key_order: KeyOrder,
) -> VerifiedEntry:
    """Re-verify the chain's entry at ``expected_version`` (``data``, following ``prev_hash``),
    about elevator ``code`` if given; raises :class:`BrokenEntry` saying what fails first."""
    try:
        entry = Entry.from_bytes(data)
    except EntryError as exc:
        raise BrokenEntry(str(exc)) from None
    if entry.version != expected_version:
        raise BrokenEntry(
            f"the entry says version {entry.version}; entries are missing, repeated or out of order"
        )
    subject = _elevator_of(entry)
    if code is not None and subject.id != code:
        raise BrokenEntry(f"the entry belongs to {entry.subject}, not {SubjectRef.elevator(code)}")
    if entry.prev != prev_hash:
        if prev_hash is None:
            raise BrokenEntry(f"the first entry must have no prev, it has {_short(entry.prev)}")
        raise BrokenEntry(
            f"prev {_short(entry.prev)} does not match the hash of version"
            f" {expected_version - 1} ({_short(prev_hash)})"
        )
    try:
        envelope = entry.parsed_envelope()
    except EnvelopeError as exc:
        raise BrokenEntry(f"malformed envelope: {exc}") from None
    if envelope.payload_type != STATEMENT_PAYLOAD_TYPE:
        raise BrokenEntry(f"unexpected payload type {envelope.payload_type!r}")
    message = envelope.pae()
    signers: dict[str, KeyInfo] = {}
    for number, sig in enumerate(envelope.signatures, 1):
        if sig.keyid in signers:  # the write path refuses a key named twice
            raise BrokenEntry(f"signature {number} names key {_short(sig.keyid)} a second time")
        info = keys(sig.keyid)
        if info is None:
            raise BrokenEntry(
                f"signature {number} names key {_short(sig.keyid)}, which is not known"
            )
        if not info.key.verify(message, sig.sig):
            raise BrokenEntry(f"signature {number} (key {_short(sig.keyid)}) does not verify")
        signers[info.key_id] = info
    if not is_canonical(envelope.payload):
        raise BrokenEntry("the payload is not canonical JSON")
    try:
        stmt = Statement.model_validate_json(envelope.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BrokenEntry(
            f"the payload is not a valid statement: {where}: {first['msg']}"
        ) from None
    if stmt.elevator != subject.id:
        raise BrokenEntry(
            f"the statement is about {stmt.elevator or stmt.organization}, not {subject.id}"
        )
    if stmt.prev is not None and stmt.prev != entry.prev:
        raise BrokenEntry(
            f"the statement was signed on chain head {_short(stmt.prev)}, but the entry follows"
            f" {_short(entry.prev)}"
        )
    _check_issuer_key(stmt, list(signers.values()), entry, key_order)
    _check_cosigner_key(stmt, list(signers.values()), entry, key_order)
    return VerifiedEntry(entry, subject, stmt, entry_hash(data), tuple(signers))


def _elevator_of(entry: Entry) -> SubjectRef:
    try:
        subject = SubjectRef.parse(entry.subject)
    except SubjectError:
        raise BrokenEntry(f"the entry is about {entry.subject}, not an elevator") from None
    if subject.kind is not Subject.ELEVATOR:
        raise BrokenEntry(f"the entry is about {entry.subject}, not an elevator")
    return subject


class KeyOrder:
    """Whether a key's registration and revocation come before an entry in the log. Each key's
    are asked of the :class:`LogOrder` once, and each entry's position once, however many
    keys signed it."""

    def __init__(self, order: LogOrder) -> None:
        self.order = order
        self.registrations: dict[str, int | None] = {}
        self.revocations: dict[str, int | None] = {}
        self.positions: dict[tuple[str, int], int | None] = {}

    def registered_before(self, key: KeyInfo, entry: Entry) -> bool:
        if key.key_id not in self.registrations:
            self.registrations[key.key_id] = self.order.of_registration(key)
        registered = self.registrations[key.key_id]
        if registered is None:
            raise BrokenEntry(
                f"the ledger's key index has key {_short(key.key_id)} registered to"
                f" {key.owner}, but no entry of {key.owner} registers it (with that public key"
                " and terminal binding)"
            )
        return registered < self._position(entry, "registration", key)

    def revoked_before(self, key: KeyInfo, entry: Entry) -> bool:
        """Asked of every key, not only of those the key index has revoked: the log decides."""
        if key.key_id not in self.revocations:
            self.revocations[key.key_id] = self.order.of_revocation(key)
        revoked = self.revocations[key.key_id]
        if revoked is None:
            if key.revoked_at is not None:
                raise BrokenEntry(
                    f"the ledger's key index has key {_short(key.key_id)} revoked at"
                    f" {key.revoked_at.isoformat()}, but no entry of {key.owner} revokes it"
                )
            return False
        return revoked < self._position(entry, "revocation", key)

    def _position(self, entry: Entry, what: str, key: KeyInfo) -> int:
        at = (entry.subject, entry.version)
        if at not in self.positions:
            self.positions[at] = self.order.of_entry(*at)
        here = self.positions[at]
        if here is None:
            raise BrokenEntry(
                f"the ledger holds no version {entry.version} of {entry.subject}, so where it"
                f" stands in the log against the {what} of key {_short(key.key_id)} is"
                " unknown"
            )
        return here


def _in_force(whose: str, keys: list[KeyInfo], entry: Entry, key_order: KeyOrder) -> list[KeyInfo]:
    """Those of ``keys`` (``whose``: the issuer's, the co-signer's) the log holds the
    registration of before the entry and no revocation of before it: registration and
    revocation count by log order, as on the write path and in ``verify``, whatever time the
    entry claims. Raises, naming the first key, if there is none."""
    registered = [k for k in keys if key_order.registered_before(k, entry)]
    if not registered:
        key = keys[0]
        at = key.registered_at.isoformat() if key.registered_at else "?"
        raise BrokenEntry(
            f"{whose} key {_short(key.key_id)} was registered later in the log (registration"
            f" recorded at {at}); it signs no earlier entry, whatever time the entry claims"
            f" (recorded at {entry.recorded_at.isoformat()})"
        )
    active = [k for k in registered if not key_order.revoked_before(k, entry)]
    if not active:
        key = registered[0]
        at = (
            f"revocation recorded at {key.revoked_at.isoformat()}"
            if key.revoked_at
            else "a revocation the ledger's key index does not show"
        )
        raise BrokenEntry(
            f"{whose} key {_short(key.key_id)} was revoked earlier in the log ({at}); it"
            " signs no later entry, whatever time the entry claims (recorded at"
            f" {entry.recorded_at.isoformat()})"
        )
    return active


def _check_issuer_key(
    stmt: Statement, signers: list[KeyInfo], entry: Entry, key_order: KeyOrder
) -> None:
    """A key of the issuer signed, registered before this entry in the log and not revoked
    before it; a terminal key only for its elevator and for the types a terminal may sign."""
    own = [k for k in signers if k.owner == stmt.issuer]
    if not own:
        owners = ", ".join(sorted({k.owner for k in signers}))
        raise BrokenEntry(f"no signature by a key of the issuer {stmt.issuer} (signed by {owners})")
    active = _in_force("the issuer's", own, entry, key_order)
    if all(k.is_terminal for k in active):
        terminal = active[0]
        if not stmt.statement_type.terminal_may_sign:
            raise BrokenEntry(f"an IoT terminal key may not sign {stmt.type}")
        if terminal.bound_elevator != stmt.elevator:
            raise BrokenEntry(
                f"terminal key {_short(terminal.key_id)} is bound to elevator"
                f" {terminal.bound_elevator}, not {stmt.elevator}"
            )


def _check_cosigner_key(
    stmt: Statement, signers: list[KeyInfo], entry: Entry, key_order: KeyOrder
) -> None:
    """For a type that needs a co-signer (``StatementType.cosigner_roles``; a maintenance
    contract: its use unit), a key of the co-signer — not the issuer's, not a terminal's —
    signed too, registered before this entry in the log and not revoked before it, as
    :func:`domain.model.authorization._check_cosigner` requires on the write path. The co-signer's
    roles are not judged here (nor the issuer's): ``verify`` does."""
    st = stmt.statement_type
    if not st.cosigner_roles:
        return
    data = statement_data(stmt)
    wanted = data.use_unit if isinstance(data, MaintenanceContractSigned) else None
    candidates = [
        k
        for k in signers
        if k.owner != stmt.issuer and not k.is_terminal and wanted in (None, k.owner)
    ]
    if not candidates:
        who = wanted or f"holding {' or '.join(sorted(st.cosigner_roles))}"
        owners = ", ".join(sorted({k.owner for k in signers}))
        raise BrokenEntry(
            f"no signature by a key of the co-signer {who}, who must also sign {st.name}"
            f" (signed by {owners})"
        )
    _in_force("the co-signer's", candidates, entry, key_order)


def memoized(keys: KeyLookup) -> KeyLookup:
    """``keys``, asked at most once per key id (a chain's entries are signed by few keys)."""
    found: dict[str, KeyInfo | None] = {}

    def lookup(key_id: str) -> KeyInfo | None:
        if key_id not in found:
            found[key_id] = keys(key_id)
        return found[key_id]

    return lookup
