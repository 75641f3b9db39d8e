"""The application service: a verified envelope in, an accepted chain entry out.

``ElevatorLedger`` is an eventsourcing application. ``accept`` verifies the
envelope's signatures against registered keys *before* reading the payload,
parses the statement, answers a replay with the original entry, authorizes the
signer, checks the subject's rules, and appends a ledger entry to the
subject's chain. Nothing is stored unless every check passed; a batch is
committed in one transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic

from domain.application.aggregates import (
    Elevator,
    KeyRecord,
    Organization,
    SubjectChain,
    chain_id_of,
    known_entry,
)
from domain.application.fresh_cache import FreshAggregates
from domain.application.preverify import Preverified
from domain.model.authorization import authorize
from domain.model.catalogue import KeyRegistered, KeyRevoked, Statement, Subject
from domain.model.elevator import ElevatorState, check_elevator_statement
from domain.model.errors import (
    BadSignature,
    Conflict,
    Rejected,
    RuleBroken,
    StaleChainHead,
    StoreDisagrees,
)
from domain.model.organization import OrganizationState, check_organization_statement
from domain.model.personal import check_personal, parse_disclosures
from domain.model.rules import RuleViolation, statement_data
from domain.model.submission import (
    invalid,
    parse_statement,
    parse_submission,
    statement_of,
)
from domain.model.trust import KeyInfo, TrustAnchor
from ledger.disclosure import DisclosureError
from ledger.dsse import (
    Envelope,
)
from ledger.entry import Entry, entry_hash
from ledger.keys import KeyFormatError, VerifyingKey
from ledger.parallel import ParallelVerifier

#: batches this large have their signatures checked on the other cores
#: (domain.application.preverify)
PREVERIFY_FROM = 32
Clock = Callable[[], datetime]
#: the events that carry ledger entries (key index events are not entries)
CHAIN_TOPICS = [
    get_topic(cls)
    for cls in (Elevator.Started, Organization.Started, SubjectChain.Appended)  # type: ignore[attr-defined]
]


_NOTHING_KNOWN: Mapping[int, bytes] = {}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Accepted:
    entry: bytes
    entry_hash: str
    subject: str  # "elevator:<equipment code>" or "organization:<USCC>"
    version: int
    recorded_at: datetime
    statement: Statement
    late: bool
    duplicate: bool = False
    notification_id: int | None = None  # position in the event feed, once saved


@dataclass
class _Batch:
    """Aggregates touched by one unit of work, so later statements see earlier ones."""

    chains: dict[UUID, SubjectChain] = field(default_factory=dict)
    keys: dict[UUID, KeyRecord] = field(default_factory=dict)  # changed in this unit of work
    key_lookups: dict[UUID, KeyRecord | None] = field(default_factory=dict)  # read-only memo
    pending: dict[tuple[UUID, str], Accepted] = field(default_factory=dict)  # by payload hash
    #: per envelope (by position): parsed once, and (public key, signature) -> verified
    preverified: Preverified = field(default_factory=Preverified)
    accepted: list[Accepted] = field(default_factory=list)


class UnreadableEvent(LookupError):
    """A stored event that cannot be decoded: its row was damaged or edited."""


class ElevatorLedger(Application[UUID]):
    name = "ElevatorLedger"

    def __init__(
        self,
        anchor: TrustAnchor,
        env: Mapping[str, str] | None = None,
        clock: Clock = utcnow,
        max_retries: int = 12,
        verifier: ParallelVerifier | None = None,
        writer_lock: Callable[[], AbstractContextManager[object]] | None = None,
        require_disclosures: bool = True,
    ) -> None:
        super().__init__(env=dict(env or {}))
        # Cached aggregates known current without a query each (see domain.application.fresh_cache).
        self._fresh = FreshAggregates(self)
        self.anchor, self.clock, self.max_retries = anchor, clock, max_retries
        # Personal fields are signed as salted digests; a submission must carry their values
        # (disclosures). Re-verifying the public log has only the digests
        # (domain.application.audit).
        self.require_disclosures = require_disclosures
        self.verifier = verifier  # spreads large batches' signature checks over all cores
        # Commands change cached aggregates in place (no deep copy on the write path), so one
        # unit of work at a time per process, and readers of cached chains wait for it.
        self._lock = threading.RLock()
        # Across processes: judging and saving under one database-wide lock means no writer
        # ever judges against a state another process is about to change (no conflicts).
        self.writer_lock = writer_lock or contextlib.nullcontext
        #: Asked about every chain loaded from the event store (not from the cache) before a
        #: statement is judged against it; raises a ``Rejected`` (``StoreDisagrees``) when the
        #: chain's head is not the log's (``LedgerNode`` sets it; see
        #: domain.application.store_check).
        self.check_loaded: Callable[[SubjectChain], None] | None = None

    def warm_up(self) -> None:
        """Start the signature pool's workers before the first large batch needs them."""
        if self.verifier is not None:
            self.verifier.warm_up()

    # --- commands --------------------------------------------------------------------------

    def accept(self, envelope: bytes | Mapping[str, Any]) -> Accepted:
        """Accept one envelope, or raise the :class:`Rejected` that says why not."""
        result = self.accept_batch([envelope])[0]
        if isinstance(result, Rejected):
            raise result
        return result

    def accept_batch(
        self,
        envelopes: Sequence[bytes | Mapping[str, Any]],
        recorded_at: Sequence[datetime] | None = None,
    ) -> list[Accepted | Rejected]:
        """Judge each envelope on its own; commit the accepted ones together.

        ``recorded_at`` overrides the ledger clock per envelope. Only operator tools
        importing history (the demo city, migrations from legacy systems) pass it;
        the HTTP API never does.
        """
        preverified = self._preverify(envelopes)
        with self._lock, self.writer_lock():
            try:
                return self._judge_and_save(envelopes, recorded_at, preverified)
            finally:
                self._fresh.end()
                preverified.cancel()

    def _judge_and_save(
        self,
        envelopes: Sequence[bytes | Mapping[str, Any]],
        recorded_at: Sequence[datetime] | None,
        preverified: Preverified,
    ) -> list[Accepted | Rejected]:
        for attempt in range(self.max_retries):
            self._fresh.begin()  # what other processes wrote since the last unit of work
            batch = _Batch(preverified=preverified)
            results: list[Accepted | Rejected] = []
            for i, envelope in enumerate(envelopes):
                at = self.clock() if recorded_at is None else recorded_at[i]
                try:
                    results.append(self._accept_one(envelope, batch, at, i))
                except StoreDisagrees:  # judging against the event store is unsafe: save nothing
                    self._evict_all(batch)
                    raise
                except Rejected as exc:
                    results.append(exc)
            fresh = [a for a in batch.accepted if not a.duplicate]
            if not fresh:
                return results
            try:
                recordings = self.save(*batch.chains.values(), *batch.keys.values())
            except IntegrityError:
                self._evict_all(batch)
                if attempt + 1 == self.max_retries:
                    raise Conflict("concurrent writers kept colliding; retry") from None
                time.sleep(random.uniform(0, 0.002 * 2**attempt))  # back off, then re-judge
                continue
            except BaseException:
                self._evict_all(batch)
                raise
            self._fresh.saved(recordings)
            positions = {
                (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
                for r in recordings
            }
            return [self._with_position(r, positions) for r in results]
        raise AssertionError("unreachable")

    def _with_position(
        self, result: Accepted | Rejected, positions: Mapping[tuple[UUID, int], int]
    ) -> Accepted | Rejected:
        if isinstance(result, Rejected) or result.duplicate:
            return result
        nid = positions[(chain_id_of(result.subject), result.version)]
        return Accepted(**{**result.__dict__, "notification_id": nid})

    def _accept_one(
        self, raw: bytes | Mapping[str, Any], batch: _Batch, recorded_at: datetime, position: int
    ) -> Accepted:
        parsed = batch.preverified.parsed.get(position)
        envelope, envelope_json, disclosures = parsed or parse_submission(raw)
        signers = self._verified_signers(envelope, batch, batch.preverified.get(position))
        stmt = parse_statement(envelope.payload, envelope_json["payload"])
        personal = self._personal(stmt, disclosures)
        st = stmt.statement_type
        chain_cls = Elevator if st.subject is Subject.ELEVATOR else Organization
        chain = self._chain(chain_cls, stmt.subject_id, batch)
        digest = hashlib.sha256(envelope.payload).hexdigest()
        if chain is not None and digest in chain.seen:
            pending = batch.pending.get((chain.id, digest))
            if pending is not None:  # twice in one unit of work: stored once
                return dataclasses.replace(pending, duplicate=True, notification_id=None)
            return self._replay(chain, digest)
        version = 1 if chain is None else chain.version + 1
        head = None if chain is None else chain.head
        if stmt.prev is not None and stmt.prev != head:
            raise StaleChainHead(
                f"prev {stmt.prev[:16]}… is not the head of {stmt.subject_id}",
                head=head,
                version=version - 1,
            )
        self._authorize_and_check(stmt, signers, chain, recorded_at, batch)
        entry = Entry(envelope_json, f"{st.subject}:{stmt.subject_id}", version, head, recorded_at)
        data = entry.to_bytes()
        ehash = entry_hash(data)
        text = data.decode()
        known_entry(ehash, version, stmt)  # applying the event need not parse the entry again
        if chain is None:
            created: SubjectChain = chain_cls(stmt.subject_id, text, ehash, digest, personal)
            batch.chains[created.id] = created
        else:
            chain.append(entry=text, entry_hash=ehash, payload=digest, disclosures=personal)
        self._index_keys(stmt, recorded_at, batch)
        late = recorded_at - stmt.occurred_at > st.late_after
        accepted = Accepted(data, ehash, entry.subject, version, recorded_at, stmt, late)
        batch.accepted.append(accepted)
        batch.pending[(chain_cls.create_id(stmt.subject_id), digest)] = accepted
        return accepted

    def _personal(self, stmt: Statement, raw: Sequence[Any]) -> list[str]:
        """The disclosures to keep beside the entry, once they match the statement."""
        try:
            disclosures = parse_disclosures(raw)
        except DisclosureError as exc:
            invalid([{"loc": exc.loc, "msg": exc.message}])
        errors = check_personal(stmt, disclosures, self.require_disclosures)
        if errors:
            invalid(errors)
        return [d.encoded for d in disclosures]

    def _authorize_and_check(
        self,
        stmt: Statement,
        signers: list[KeyInfo],
        chain: SubjectChain | None,
        recorded_at: datetime,
        batch: _Batch,
    ) -> None:
        category = chain.state.category if isinstance(chain, Elevator) else None
        authorize(
            stmt,
            signers,
            lambda uscc: self._org_state(uscc, batch),
            self.anchor.uscc,
            category,
        )
        try:
            if isinstance(chain, Organization) or (
                chain is None and stmt.statement_type.subject is Subject.ORGANIZATION
            ):
                state = chain.state if chain else OrganizationState.empty(stmt.subject_id)
                check_organization_statement(state, stmt, recorded_at)
                self._check_key_statement(stmt, batch)
            else:
                estate = chain.state if chain else ElevatorState.empty(stmt.subject_id)
                check_elevator_statement(estate, stmt, recorded_at)
        except RuleViolation as exc:
            raise RuleBroken(exc.rule, exc.message) from exc

    def verify_envelope(self, raw: bytes | Mapping[str, Any]) -> list[KeyInfo]:
        """Who signed this envelope, among registered keys (a dry run: nothing is judged or
        stored beyond the signatures)."""
        envelope, _, _ = parse_submission(raw)
        return self._verified_signers(envelope, _Batch())

    # --- keys ------------------------------------------------------------------------------

    def _preverify(self, envelopes: Sequence[bytes | Mapping[str, Any]]) -> Preverified:
        """Parse a large batch once and start verifying its signatures on the other cores,
        chunk by chunk, while this thread goes on (see domain.application.preverify).

        Keys registered inside the batch itself are not known yet; their signatures are
        verified inline when their turn comes. Results are per envelope, so a signature is
        only ever trusted for the message it was checked against.
        """
        pre = Preverified(self.verifier)
        if self.verifier is None or len(envelopes) < PREVERIFY_FROM:
            return pre
        memo = _Batch()
        for position, raw in enumerate(envelopes):
            try:
                pre.parsed[position] = parsed = parse_submission(raw)
            except Rejected:
                continue
            message = parsed[0].pae()
            for sig in parsed[0].signatures:
                info = self.key_info(sig.keyid, memo)
                if info is not None:
                    pre.add(position, info.key, message, sig.sig)
        pre.flush()
        return pre

    def _verified_signers(
        self,
        envelope: Envelope,
        batch: _Batch,
        preverified: Mapping[tuple[bytes, bytes], bool] | None = None,
    ) -> list[KeyInfo]:
        """The keys that signed: every signature must verify under the registered key its
        ``keyid`` names, each key once. A signature that does not (junk, an unknown key, a
        signature over other bytes, a key named twice) rejects the whole envelope, so that
        whatever the ledger stores lists as signers only keys whose signatures verified —
        as ``verify`` and the regulator's replay judge every stored entry."""
        message = envelope.pae()
        found: dict[str, KeyInfo] = {}
        for index, sig in enumerate(envelope.signatures):
            if sig.keyid in found:
                raise _bad_signature(index, sig.keyid, "the same key already signed")
            info = self.key_info(sig.keyid, batch)
            if info is None:
                raise _bad_signature(index, sig.keyid, "no registered key has this id")
            known = (preverified or {}).get((info.key.public, sig.sig))
            if not (known if known is not None else info.key.verify(message, sig.sig)):
                raise _bad_signature(index, sig.keyid, "it does not verify under that key")
            found[info.key_id] = info
        return list(found.values())

    def key_info(self, key_id: str, batch: _Batch | None = None) -> KeyInfo | None:
        if key_id == self.anchor.key.key_id:
            record = self._key_record(key_id, batch)
            anchor = self.anchor.key_info
            return anchor if record is None else _info(record)
        record = self._key_record(key_id, batch)
        return None if record is None else _info(record)

    def _key_record(self, key_id: str, batch: _Batch | None) -> KeyRecord | None:
        kid = KeyRecord.create_id(key_id)
        if batch is not None:
            if kid in batch.keys:
                return batch.keys[kid]
            if kid in batch.key_lookups:
                return batch.key_lookups[kid]
        try:  # read-only here; _index_keys copies before it revokes
            record: KeyRecord | None = self._fresh.get(kid)
        except AggregateNotFoundError:
            record = None
        if batch is not None:
            batch.key_lookups[kid] = record
        return record

    def _check_key_statement(self, stmt: Statement, batch: _Batch) -> None:
        data = statement_data(stmt)
        if isinstance(data, KeyRegistered):
            try:
                key = VerifyingKey.from_b64(data.public_key, data.algorithm)
            except KeyFormatError as exc:
                raise RuleBroken("key-malformed", str(exc)) from exc
            if key.key_id != data.key_id:
                raise RuleBroken("key-id-mismatch", f"key_id must be {key.key_id}")
            existing = self._key_record(data.key_id, batch)
            if existing is not None:  # the organization's own rules see only its own keys
                raise RuleBroken(
                    "key-id-taken", f"key {data.key_id[:16]}… is registered to {existing.owner}"
                )

    def _index_keys(self, stmt: Statement, recorded_at: datetime, batch: _Batch) -> None:
        data = statement_data(stmt)
        if isinstance(data, KeyRegistered):
            record = KeyRecord(
                data.key_id,
                stmt.subject_id,
                data.algorithm,
                data.public_key,
                data.bound_elevator,
                recorded_at,
            )
            batch.keys[record.id] = record
        elif isinstance(data, KeyRevoked):
            kid = KeyRecord.create_id(data.key_id)
            existing = batch.keys.get(kid) or self.repository.get(kid)  # a private copy
            existing.revoke(revoked_at=recorded_at)
            batch.keys[existing.id] = existing

    # --- queries ---------------------------------------------------------------------------

    def _chain(self, cls: type[SubjectChain], ident: str, batch: _Batch) -> SubjectChain | None:
        cid = cls.create_id(ident)
        if cid in batch.chains:
            return batch.chains[cid]
        cache = self.repository.cache
        cold = cache is None or cid not in cache.cache
        try:  # no copy: commands mutate the cached chain; a failed save evicts it
            chain: SubjectChain = self._fresh.get(cid)
        except AggregateNotFoundError:
            return None
        if cold and self.check_loaded is not None:
            try:
                self.check_loaded(chain)
            except Rejected:
                if cache is not None:  # judged again, and checked again, next time
                    with contextlib.suppress(KeyError):
                        cache.get(cid, evict=True)
                raise
        batch.chains[cid] = chain
        return chain

    def _org_state(self, uscc: str, batch: _Batch) -> OrganizationState | None:
        chain = self._chain(Organization, uscc, batch)
        return chain.state if isinstance(chain, Organization) else None

    def elevator(self, equipment_code: str) -> Elevator | None:
        """A private copy of the elevator's chain aggregate, or None."""
        try:
            with self._lock:
                found: Elevator = self.repository.get(Elevator.create_id(equipment_code))
        except AggregateNotFoundError:
            return None
        return found

    def organization(self, uscc: str) -> Organization | None:
        """A private copy of the organization's chain aggregate, or None."""
        try:
            with self._lock:
                found: Organization = self.repository.get(Organization.create_id(uscc))
        except AggregateNotFoundError:
            return None
        return found

    def chain_entry(self, chain_id: UUID, version: int) -> str:
        """The entry text stored at ``version`` of a chain."""
        events = list(self.events.get(chain_id, gt=version - 1, lte=version))
        if not events:
            raise KeyError(f"no version {version} in chain {chain_id}")
        entry: str = events[0].entry  # type: ignore[attr-defined]
        return entry

    def disclosures_of(self, subject: str, version: int) -> list[str]:
        """The disclosures kept beside a subject's entry at ``version`` (for regulators).

        Raises ``KeyError`` when the stored event is missing and :class:`UnreadableEvent`
        when it cannot be decoded (a damaged or edited row: its state or topic)."""
        chain_id = chain_id_of(subject)
        try:
            events = list(self.events.get(chain_id, gt=version - 1, lte=version))
        except Exception as exc:  # whatever the library's decoding raises on a damaged row
            raise UnreadableEvent(
                f"the stored event of {subject} version {version} cannot be read:"
                f" {type(exc).__name__}: {exc}"
            ) from exc
        if not events:
            raise KeyError(f"no version {version} of {subject}")
        disclosures: list[str] = getattr(events[0], "disclosures", [])
        return list(disclosures)

    def _replay(self, chain: SubjectChain, digest: str) -> Accepted:
        """The exact same statement again: answer with the original, store nothing."""
        version, ehash = chain.seen[digest]
        text = self.chain_entry(chain.id, version)
        entry = Entry.from_bytes(text.encode())
        original = statement_of(text)
        late = entry.recorded_at - original.occurred_at > original.statement_type.late_after
        return Accepted(
            text.encode(),
            ehash,
            entry.subject,
            version,
            entry.recorded_at,
            original,
            late,
            duplicate=True,
        )

    def notification_id_of(self, chain_id: UUID, version: int) -> int:
        """Position in the event feed of a chain's entry (for receipts of replays)."""
        found = self.chain_positions(chain_id, version)
        if version not in found:
            raise KeyError(f"no version {version} in chain {chain_id}")
        return found[version]

    def chain_positions(self, chain_id: UUID, version: int | None = None) -> dict[int, int]:
        """Version → position in the event feed of a chain's entries (one, with ``version``),
        in one query. The log is appended in feed order, so positions compare as log indexes do."""
        where = "originator_id = ?"
        params: tuple[Any, ...] = (chain_id.hex if self._on_sqlite else chain_id,)
        if version is not None:
            where, params = f"{where} AND originator_version = ?", (*params, version)
        rows = self._select("originator_version AS version", where, params)
        return {int(row["version"]): int(row["id"]) for row in rows}

    def _select_ids(
        self, where: str, params: tuple[Any, ...], limit: int | None = None
    ) -> list[int]:
        return [int(row["id"]) for row in self._select("", where, params, limit)]

    def _select(
        self, columns: str, where: str, params: tuple[Any, ...], limit: int | None = None
    ) -> list[Any]:
        """Rows of stored events with their notification id as ``id``, in id order (``where``:
        ``{id}`` for the id column, ``?`` for parameters). The SQLite recorder keeps the id as
        the rowid."""
        recorder: Any = self.recorder
        table, column = recorder.events_table_name, "rowid"
        if not self._on_sqlite:
            table, column = f"{recorder.datastore.schema}.{table}", "notification_id"
        selected = f"{column} AS id" + (f", {columns}" if columns else "")
        sql = f"SELECT {selected} FROM {table} WHERE {where.format(id=column)}"
        if limit is not None:
            sql, params = f"{sql} ORDER BY {column} LIMIT ?", (*params, limit)
        if not self._on_sqlite:
            sql = sql.replace("?", "%s")
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    @property
    def _on_sqlite(self) -> bool:
        return isinstance(self.recorder, SQLiteApplicationRecorder)

    # --- the feed the log follows ------------------------------------------------------------

    def read_feed(
        self, after: int, limit: int, known: Mapping[int, bytes] = _NOTHING_KNOWN
    ) -> list[tuple[int, bytes]]:
        """Chain entries in notification order after ``after``: the log sequencer's input.

        ``known``: entries this process has just saved, by notification id. When every entry
        due is among them (no other process wrote meanwhile), only the ids are read, not the
        events again.
        """
        if known:
            topics = ", ".join("?" * len(CHAIN_TOPICS))
            due = self._select_ids(
                f"{{id}} > ? AND topic IN ({topics})", (after, *CHAIN_TOPICS), limit
            )
            if all(i in known for i in due):
                return [(i, known[i]) for i in due]
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, topics=CHAIN_TOPICS, inclusive_of_start=False
        )
        return [(n.id, orjson.loads(n.state)["entry"].encode()) for n in notifications]

    def _evict_all(self, batch: _Batch) -> None:
        """Forget cached aggregates a failed unit of work may have changed in memory."""
        cache = self.repository.cache
        if cache is not None:
            for aggregate_id in [*batch.chains, *batch.keys]:
                with contextlib.suppress(KeyError):
                    cache.get(aggregate_id, evict=True)


def _bad_signature(index: int, keyid: str, why: str) -> BadSignature:
    shown = keyid if len(keyid) <= 64 else keyid[:64] + "…"
    return BadSignature(
        f"signatures[{index}] (keyid {shown!r}) is refused: {why}; every signature must"
        " verify under the registered key its keyid names",
        signature=index,
        keyid=shown,
        reason=why,
    )


def _info(record: KeyRecord) -> KeyInfo:
    return _key_info(
        record.key_id,
        record.owner,
        record.algorithm,
        record.public_key,
        record.bound_elevator,
        record.registered_at,
        record.revoked_at,
    )


@functools.lru_cache(maxsize=1 << 14)
def _key_info(
    key_id: str,
    owner: str,
    algorithm: str,
    public_key: str,
    bound_elevator: str | None,
    registered_at: datetime,
    revoked_at: datetime | None,
) -> KeyInfo:
    """Immutable, so shared: every statement looks its signers up (by what the record holds,
    so a revocation is a different entry)."""
    key = VerifyingKey.from_b64(public_key, algorithm)
    return KeyInfo(key_id, owner, key, bound_elevator, registered_at, revoked_at)
