"""Receipts: the log's signed promise that it accepted an entry, plus its inclusion proof.

The promise is a C2SP signed note by the log key over::

    elevator-ledger/receipt/v1
    <origin>
    entry <hex entry hash>
    index <log index>
    subject <subject>
    version <chain version>
    recorded_at <RFC 3339>

The inclusion evidence is a C2SP tlog-proof (``c2sp.org/tlog-proof@v1``): the
index, the Merkle path and the checkpoint it leads to. Both verify offline with
nothing but the log's verifier key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from dataclasses import dataclass

from ledger import merkle
from ledger.keys import SigningKey
from ledger.note import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    open_note,
    sign_note,
)
from ledger.parallel import process_pool

RECEIPT_HEADER = "elevator-ledger/receipt/v1"
PROOF_HEADER = "c2sp.org/tlog-proof@v1"


class ReceiptError(ValueError):
    """A receipt or proof is malformed or does not verify."""


@dataclass(frozen=True)
class Promise:
    origin: str
    entry_hash: str
    index: int
    subject: str
    version: int
    recorded_at: str

    def text(self) -> str:
        return (
            f"{RECEIPT_HEADER}\n{self.origin}\nentry {self.entry_hash}\nindex {self.index}\n"
            f"subject {self.subject}\nversion {self.version}\nrecorded_at {self.recorded_at}\n"
        )

    def sign(self, signer: NoteSigner) -> str:
        return sign_note(self.text(), [signer])

    @classmethod
    def open(cls, note: str, verifier: NoteVerifier) -> Promise:
        try:
            lines = open_note(note, [verifier]).text.rstrip("\n").split("\n")
        except NoteError as exc:
            raise ReceiptError(f"receipt signature: {exc}") from exc
        fields = dict(line.split(" ", 1) for line in lines[2:] if " " in line)
        if lines[0] != RECEIPT_HEADER or len(lines) != 7 or len(fields) != 5:
            raise ReceiptError("not an elevator-ledger receipt")
        try:
            return cls(
                lines[1],
                fields["entry"],
                int(fields["index"]),
                fields["subject"],
                int(fields["version"]),
                fields["recorded_at"],
            )
        except (KeyError, ValueError) as exc:
            raise ReceiptError(f"malformed receipt: {exc}") from exc


class PromiseSigner:
    """Signs promise notes; a large batch's on a worker process, so that another core makes
    the signatures while this one goes on (building the batch's inclusion proofs).

    The batch goes to the worker in chunks. When the caller asks for the notes, it signs the
    chunks the worker has not started, from the last one back, instead of waiting idle: the
    two meet in the middle, however busy either core is.

    The worker is one process of ours, given the log key once when it starts. Ed25519 is
    deterministic: a note signed there is byte for byte the note :meth:`Promise.sign` makes.
    If the worker fails, the notes are signed here.
    """

    def __init__(self, signer: NoteSigner, parallel_from: int = 64, chunk: int = 48) -> None:
        self.signer, self.parallel_from, self.chunk = signer, parallel_from, chunk
        self._pool: ProcessPoolExecutor | None = None

    def start(self, promises: Sequence[Promise]) -> Callable[[], list[str]]:
        """Begin signing; the returned function gives the notes, in order (waiting for them)."""
        texts = [p.text() for p in promises]
        if len(texts) < self.parallel_from:
            notes = self._sign_here(texts)
            return lambda: notes
        chunks = [texts[i : i + self.chunk] for i in range(0, len(texts), self.chunk)]
        try:
            pool = self._executor()
            futures = [pool.submit(_sign_in_worker, chunk) for chunk in chunks]
        except (BrokenExecutor, RuntimeError):
            self.close()
            notes = self._sign_here(texts)
            return lambda: notes

        def result() -> list[str]:
            here: dict[int, list[str]] = {}
            for i in reversed(range(len(chunks))):  # what the worker has not begun: here
                if not futures[i].cancel():
                    break
                here[i] = self._sign_here(chunks[i])
            try:
                return [
                    note
                    for i, future in enumerate(futures)
                    for note in (here[i] if i in here else future.result())
                ]
            except (BrokenExecutor, OSError):
                self.close()
                return self._sign_here(texts)

        return result

    def warm_up(self) -> None:
        """Start the worker now, not with the first large batch (see ParallelVerifier)."""
        self._executor().submit(_sign_in_worker, []).result()

    def _sign_here(self, texts: Sequence[str]) -> list[str]:
        return [sign_note(t, [self.signer]) for t in texts]

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:  # its worker exits when this process ends, even by kill -9
            key = self.signer.key
            self._pool = process_pool(
                1, _start_worker, (self.signer.name, key.algorithm, key.private)
            )
        return self._pool

    def close(self) -> None:
        """Stop the worker and wait for it (signing in flight is finished, or dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


_worker_signer: NoteSigner | None = None


def _start_worker(name: str, algorithm: str, private: bytes) -> None:
    global _worker_signer
    _worker_signer = NoteSigner(name, SigningKey(algorithm, private))


def _sign_in_worker(texts: list[str]) -> list[str]:
    assert _worker_signer is not None, "the worker starts with the log key"
    return [sign_note(text, [_worker_signer]) for text in texts]


def format_tlog_proof(index: int, proof: list[bytes], checkpoint_note: str) -> str:
    hashes = "".join([binascii.b2a_base64(h).decode() for h in proof])  # each ends in "\n"
    return f"{PROOF_HEADER}\nindex {index}\n{hashes}\n{checkpoint_note}"


@dataclass(frozen=True)
class TlogProof:
    index: int
    proof: list[bytes]
    checkpoint: Checkpoint


def open_tlog_proof(text: str, verifier: NoteVerifier) -> TlogProof:
    """Parse a tlog-proof and verify its checkpoint's signature (not yet the path)."""
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or lines[0] != PROOF_HEADER:
        raise ReceiptError("not a c2sp.org/tlog-proof@v1")
    body = lines[1:]
    if body and body[0].startswith("extra "):
        body = body[1:]
    if not body or not body[0].startswith("index "):
        raise ReceiptError("tlog-proof has no index line")
    try:
        index = int(body[0][6:])
        path = [base64.b64decode(line, validate=True) for line in body[1:]]
        checkpoint = open_checkpoint(note, verifier)
    except (ValueError, binascii.Error, NoteError) as exc:
        raise ReceiptError(f"malformed tlog-proof: {exc}") from exc
    return TlogProof(index, path, checkpoint)


def verify_inclusion(entry: bytes, proof_text: str, verifier: NoteVerifier) -> TlogProof:
    """Check offline that ``entry`` is in the log under the proof's signed checkpoint."""
    proof = open_tlog_proof(proof_text, verifier)
    try:
        merkle.verify_inclusion(
            proof.index,
            proof.checkpoint.size,
            merkle.leaf_hash(entry),
            proof.proof,
            proof.checkpoint.root,
        )
    except merkle.ProofError as exc:
        raise ReceiptError(f"inclusion proof: {exc}") from exc
    return proof
