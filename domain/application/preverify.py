"""Signature checks of a batch on the other cores, overlapped with judging it.

A batch's envelopes are parsed once, up front; their signatures under the keys their keyids
name are shipped to the verifier's process pool in chunks as soon as each chunk is full, so the
pool verifies while this thread parses the rest and then judges envelope after envelope. Judging
envelope ``i`` waits only for the chunk holding ``i``'s signatures (a small first chunk, so
judging starts early).

A verdict is kept per envelope position and per (public key, signature): a signature is trusted
only for the exact message it was checked against, and only where the judge looks it up for
that envelope. Keys not known before the batch (registered inside it) are checked inline when
the envelope's turn comes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from concurrent.futures import BrokenExecutor, Future
from typing import Any

from ledger.dsse import Envelope
from ledger.keys import VerifyingKey
from ledger.parallel import CHUNK as POOL_CHUNK
from ledger.parallel import Check, ParallelVerifier, verify_chunk

#: (envelope, its JSON as received, the disclosures beside it): what parsing a submission gives
Parsed = tuple[Envelope, dict[str, Any], list[Any]]
Verdicts = Mapping[tuple[bytes, bytes], bool]
#: chunk sizes: the first small so that judging starts soon, then larger (less pickling per
#: signature)
FIRST_CHUNK, CHUNK = 8, 48


class Preverified:
    """Parsed envelopes and signature verdicts of one batch, by position in the batch."""

    def __init__(self, verifier: ParallelVerifier | None = None) -> None:
        self.verifier = verifier
        self.parsed: dict[int, Parsed] = {}
        self._checks: list[Check] = []
        self._owners: list[tuple[int, bytes, bytes]] = []
        #: submitted chunks in order: (owners of its checks, the checks, future verdicts)
        self._chunks: deque[
            tuple[list[tuple[int, bytes, bytes]], list[Check], Future[list[bool]]]
        ] = deque()
        self._verdicts: dict[int, dict[tuple[bytes, bytes], bool]] = {}

    def add(self, position: int, key: VerifyingKey, message: bytes, signature: bytes) -> None:
        """Queue one signature check of the envelope at ``position``."""
        self._checks.append((key.algorithm, key.public, message, signature))
        self._owners.append((position, key.public, signature))
        if len(self._checks) >= (CHUNK if self._chunks else FIRST_CHUNK):
            self.flush()

    def flush(self) -> None:
        """Ship what is queued to the pool (if it is broken, the judge checks them inline)."""
        if not self._checks or self.verifier is None:
            return
        try:
            futures = self.verifier.submit(self._checks)  # one future per POOL_CHUNK checks
        except (BrokenExecutor, RuntimeError):
            self.verifier.close()  # a new pool starts with the next batch
            self._checks, self._owners = [], []
            return
        for i, future in enumerate(futures):
            part = slice(i * POOL_CHUNK, (i + 1) * POOL_CHUNK)
            self._chunks.append((self._owners[part], self._checks[part], future))
        self._checks, self._owners = [], []

    def get(self, position: int) -> Verdicts | None:
        """The verdicts for the envelope at ``position``, or None when nothing was checked
        ahead for it. A chunk the pool has not begun yet is checked here, rather than waited
        for (the pool's one worker falls behind when the machine is busy)."""
        while self._chunks and self._chunks[0][0][0][0] <= position:
            owners, checks, future = self._chunks.popleft()
            verdicts = verify_chunk(checks) if future.cancel() else self._result(future, checks)
            for (where, public, signature), ok in zip(owners, verdicts, strict=True):
                self._verdicts.setdefault(where, {})[(public, signature)] = ok
        return self._verdicts.get(position)

    def _result(self, future: Future[list[bool]], checks: list[Check]) -> list[bool]:
        """The pool's verdicts; if a worker died (killed, out of memory), checked here, and
        the broken pool is replaced with the next batch."""
        try:
            return future.result()
        except (BrokenExecutor, OSError):
            if self.verifier is not None:
                self.verifier.close()
            return verify_chunk(checks)

    def cancel(self) -> None:
        """Drop what is still queued in the pool (the batch ended early)."""
        for _, _, future in self._chunks:
            future.cancel()
        self._chunks.clear()
