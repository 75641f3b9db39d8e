"""Re-verification of one chain entry: its form, version and ``prev`` link, every signature under
the key its ``keyid`` names, and a key of the issuer not revoked before the entry in the log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from domain.application import STATEMENT_PAYLOAD_TYPE
from domain.catalogue import Statement
from domain.replay.log_order import LogOrder
from domain.trust import KeyInfo
from ledger.canonical import is_canonical
from ledger.dsse import EnvelopeError
from ledger.entry import Entry, EntryError, entry_hash

#: ``keys(key_id)``: the key the ledger registered under that id (owner included), or None.
KeyLookup = Callable[[str], KeyInfo | None]

_SUBJECT_PREFIX = "elevator:"


class _Broken(Exception):
    """One entry failed re-verification (internal; reported, never raised to callers)."""


@dataclass(frozen=True, slots=True)
class _Verified:
    entry: Entry
    statement: Statement
    entry_hash: str
    signer_key_ids: tuple[str, ...]


def _short(digest: str | None) -> str:
    return "none" if digest is None else f"{digest[:16]}…"


def _verify(
    data: bytes,
    expected_version: int,
    prev_hash: str | None,
    code: str | None,
    keys: KeyLookup,
    revocations: _Revocations,
) -> _Verified:
    try:
        entry = Entry.from_bytes(data)
    except EntryError as exc:
        raise _Broken(str(exc)) from None
    if entry.version != expected_version:
        raise _Broken(
            f"the entry says version {entry.version}; entries are missing, repeated or out of order"
        )
    if not entry.subject.startswith(_SUBJECT_PREFIX):
        raise _Broken(f"the entry is about {entry.subject}, not an elevator")
    if code is not None and entry.subject != _SUBJECT_PREFIX + code:
        raise _Broken(f"the entry belongs to {entry.subject}, not {_SUBJECT_PREFIX}{code}")
    if entry.prev != prev_hash:
        if prev_hash is None:
            raise _Broken(f"the first entry must have no prev, it has {_short(entry.prev)}")
        raise _Broken(
            f"prev {_short(entry.prev)} does not match the hash of version"
            f" {expected_version - 1} ({_short(prev_hash)})"
        )
    try:
        envelope = entry.parsed_envelope()
    except EnvelopeError as exc:
        raise _Broken(f"malformed envelope: {exc}") from None
    if envelope.payload_type != STATEMENT_PAYLOAD_TYPE:
        raise _Broken(f"unexpected payload type {envelope.payload_type!r}")
    message = envelope.pae()
    signers: dict[str, KeyInfo] = {}
    for number, sig in enumerate(envelope.signatures, 1):
        info = keys(sig.keyid)
        if info is None:
            raise _Broken(f"signature {number} names key {_short(sig.keyid)}, which is not known")
        if not info.key.verify(message, sig.sig):
            raise _Broken(f"signature {number} (key {_short(sig.keyid)}) does not verify")
        signers.setdefault(info.key_id, info)
    if not is_canonical(envelope.payload):
        raise _Broken("the payload is not canonical JSON")
    try:
        stmt = Statement.model_validate_json(envelope.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _Broken(f"the payload is not a valid statement: {where}: {first['msg']}") from None
    subject = entry.subject.removeprefix(_SUBJECT_PREFIX)
    if stmt.elevator != subject:
        raise _Broken(f"the statement is about {stmt.elevator or stmt.organization}, not {subject}")
    if stmt.prev is not None and stmt.prev != entry.prev:
        raise _Broken(
            f"the statement was signed on chain head {_short(stmt.prev)}, but the entry follows"
            f" {_short(entry.prev)}"
        )
    _check_issuer_key(stmt, list(signers.values()), entry, revocations)
    return _Verified(entry, stmt, entry_hash(data), tuple(signers))


class _Revocations:
    """Whether a key's revocation comes before an entry in the log (revocations memoized)."""

    def __init__(self, order: LogOrder) -> None:
        self.order = order
        self.found: dict[str, int | None] = {}

    def before(self, key: KeyInfo, entry: Entry) -> bool:
        if key.revoked_at is None:
            return False
        if key.key_id not in self.found:
            self.found[key.key_id] = self.order.of_revocation(key)
        revoked = self.found[key.key_id]
        if revoked is None:
            raise _Broken(
                f"the ledger's key index has key {_short(key.key_id)} revoked at"
                f" {key.revoked_at.isoformat()}, but no entry of {key.owner} revokes it"
            )
        here = self.order.of_entry(entry.subject, entry.version)
        if here is None:
            raise _Broken(
                f"the ledger holds no version {entry.version} of {entry.subject}, so where it"
                f" stands in the log against the revocation of key {_short(key.key_id)} is"
                " unknown"
            )
        return revoked < here


def _check_issuer_key(
    stmt: Statement, signers: list[KeyInfo], entry: Entry, revocations: _Revocations
) -> None:
    """A key of the issuer signed, and the log holds its revocation (if any) only after this
    entry: revocation counts by log order, as on the write path and in ``verify``."""
    own = [k for k in signers if k.owner == stmt.issuer]
    if not own:
        owners = ", ".join(sorted({k.owner for k in signers}))
        raise _Broken(f"no signature by a key of the issuer {stmt.issuer} (signed by {owners})")
    active = [k for k in own if not revocations.before(k, entry)]
    if not active:
        key = own[0]
        raise _Broken(
            f"the issuer's key {_short(key.key_id)} was revoked earlier in the log (revocation"
            f" recorded at {key.revoked_at.isoformat() if key.revoked_at else '?'}); it signs"
            f" no later entry, whatever time the entry claims (recorded at"
            f" {entry.recorded_at.isoformat()})"
        )
    if all(k.is_terminal for k in active):
        terminal = active[0]
        if not stmt.statement_type.terminal_may_sign:
            raise _Broken(f"an IoT terminal key may not sign {stmt.type}")
        if terminal.bound_elevator != stmt.elevator:
            raise _Broken(
                f"terminal key {_short(terminal.key_id)} is bound to elevator"
                f" {terminal.bound_elevator}, not {stmt.elevator}"
            )


def _memo(keys: KeyLookup) -> KeyLookup:
    found: dict[str, KeyInfo | None] = {}

    def lookup(key_id: str) -> KeyInfo | None:
        if key_id not in found:
            found[key_id] = keys(key_id)
        return found[key_id]

    return lookup
