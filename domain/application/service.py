"""The write path end to end: accept, integrate into the log, answer with a signed receipt.

A submitter waits for its entry to be in the Merkle log before it gets its
receipt, so every receipt carries an inclusion proof to a signed checkpoint.
Concurrent submitters share integrations: whoever holds the log's write lock
integrates everything saved so far (group commit of the log).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.application.aggregates import chain_id_of
from domain.application.elevator_ledger import ElevatorLedger
from domain.model.admission import Accepted
from domain.model.errors import LogWritesStopped, Rejected, StoreDisagrees, WritesStopped
from ledger.entry import format_time
from ledger.log import LogError, LogTampered, MerkleLog, SignedCheckpoint
from ledger.receipt import Promise, PromiseSigner, format_tlog_proof
from ledger.sequencer import Sequencer


@dataclass(frozen=True)
class Receipt:
    entry_hash: str
    subject: str
    version: int
    log_index: int
    recorded_at: str
    type: str
    late: bool
    duplicate: bool
    promise: str  # C2SP signed note by the log key (see ledger.receipt)
    inclusion_proof: str  # c2sp.org/tlog-proof@v1 with the checkpoint

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


_alarms = logging.getLogger("elevator_ledger.write")

#: A lock shared by every process writing to or projecting from one database (see LedgerService).
Turn = Callable[[], AbstractContextManager[object]]


class LedgerService:
    """Accept, integrate, answer with receipts.

    ``turn``: held around accepting a batch and integrating it into the log, the two steps
    that write. On SQLite the read models' runner takes the same turn around each of its own
    (short) write transactions, so writers and projections queue at this lock instead of
    meeting at SQLite's: a connection that finds the database locked polls with sleeps of up
    to 100 ms, and requests then stall in bursts. The default (and PostgreSQL's, where waiting
    for a row lock is a queue, not polling) is no lock at all.
    """

    def __init__(
        self, app: ElevatorLedger, log: MerkleLog, turn: Turn = contextlib.nullcontext
    ) -> None:
        self.app, self.log, self.turn = app, log, turn
        self.sequencer = Sequencer(log, app.read_feed)
        self.promises = PromiseSigner(log.signer)
        #: Why writes are stopped, if they are (every write then gets this problem): the log
        #: was found holding what no writer here appended (``LogWritesStopped``), or the event
        #: store disagrees with the log (``StoreDisagrees``: judging against it could log a
        #: lie). Reads go on either way.
        self.stopped: WritesStopped | None = None

    def close(self) -> None:
        self.promises.close()

    def submit(self, envelope: bytes | Mapping[str, Any]) -> Receipt:
        result = self.submit_batch([envelope])[0]
        if isinstance(result, Rejected):
            raise result
        return result

    def submit_batch(
        self,
        envelopes: Sequence[bytes | Mapping[str, Any]],
        recorded_at: Sequence[datetime] | None = None,
    ) -> list[Receipt | Rejected]:
        if self.stopped is not None:
            raise self._refusal()
        try:  # the size before saving, and a first look for a tampered log: one query
            size_before = self.log.check_unsigned()
        except LogTampered as exc:
            raise self._stop(exc) from None
        with self.turn():
            results = self.app.accept_batch(envelopes, recorded_at)
            saved = {  # handed to the sequencer: it need not read them back
                r.notification_id: r.entry
                for r in results
                if not isinstance(r, Rejected) and r.notification_id is not None
            }
            try:
                placed = self.sequencer.integrate(known=saved).positions
            except LogTampered as exc:  # saved, not logged: it joins the log once restored
                raise self._stop(exc) from None
        if all(isinstance(r, Rejected) for r in results):
            return [r for r in results if isinstance(r, Rejected)]
        checkpoint = self.log.latest_checkpoint()  # one checkpoint and one node read per batch
        accepted = [r for r in results if not isinstance(r, Rejected)]
        indices = [self._log_index(a, placed, size_before) for a in accepted]
        promises = [
            Promise(
                self.log.origin,
                a.entry_hash,
                index,
                a.subject,
                a.version,
                format_time(a.recorded_at),
            )
            for a, index in zip(accepted, indices, strict=True)
        ]
        notes = self.promises.start(promises)  # signed on another core meanwhile
        proofs = self.log.inclusion_proofs(indices, checkpoint.size)
        receipts = iter(
            self._receipt(a, promise, note, proof, checkpoint)
            for a, promise, note, proof in zip(accepted, promises, notes(), proofs, strict=True)
        )
        return [r if isinstance(r, Rejected) else next(receipts) for r in results]

    def check_log(self) -> None:
        """At start-up, before anything else is judged: the log must hold exactly what was
        signed (the guard's look at the state row, one query); otherwise writes stop, with the
        log named as the cause."""
        if self.stopped is None:
            try:
                self.log.check_unsigned()
            except LogTampered as exc:
                self._stop(exc)

    def integrate_pending(self) -> None:
        """Integrate what was saved but not yet logged (events of a crash before the log
        caught up): this server's own sequencer appends them, so they are signed. A log found
        tampered with stops writes instead; reads go on."""
        if self.stopped is not None:
            return
        try:
            self.sequencer.integrate()
        except LogTampered as exc:
            self._stop(exc)

    def _stop(self, exc: LogTampered) -> WritesStopped:
        """Stop accepting writes for good (until a restart): the log key must not sign data
        someone else chose, and nothing accepted now could be logged."""
        if self.stopped is None:
            self.stopped = LogWritesStopped(
                f"writes are stopped: {exc}. Nothing more is logged or signed; the last"
                " good checkpoint and every read are still served"
            )
            _alarms.critical(
                "writes stopped: the log %s holds what this server did not write (%s); reads"
                " and the last good checkpoint are still served; restore the log and restart",
                self.log.origin,
                exc,
            )
        return self._refusal()

    def refuse(self, reason: str) -> WritesStopped:
        """Stop accepting writes because the event store disagrees with the log (the caller
        raised the alarm); the first reason found stays."""
        if self.stopped is None:
            self.stopped = StoreDisagrees(reason)
        return self._refusal()

    def _refusal(self) -> WritesStopped:
        """A fresh problem of the kind and detail writes were stopped with."""
        assert self.stopped is not None
        return type(self.stopped)(self.stopped.detail)

    @staticmethod
    def _receipt(
        accepted: Accepted,
        promise: Promise,
        note: str,
        proof: list[bytes],
        checkpoint: SignedCheckpoint,
    ) -> Receipt:
        return Receipt(
            entry_hash=accepted.entry_hash,
            subject=accepted.subject,
            version=accepted.version,
            log_index=promise.index,
            recorded_at=promise.recorded_at,
            type=accepted.statement.type,
            late=accepted.late,
            duplicate=accepted.duplicate,
            promise=note,
            inclusion_proof=format_tlog_proof(promise.index, proof, checkpoint.note),
        )

    def _log_index(self, accepted: Accepted, placed: Mapping[int, int], size_before: int) -> int:
        if accepted.duplicate:
            position = self.app.notification_id_of(chain_id_of(accepted.subject), accepted.version)
            index = self.log.index_of_position(position)
        else:
            assert accepted.notification_id is not None
            position = accepted.notification_id
            index = placed.get(position)
            if index is None:  # integrated by another process's sequencer
                index = self.log.index_of_position(position, not_before=size_before)
        if index is None:
            raise LogError(f"entry {accepted.entry_hash[:16]}… is not in the log")
        return index
