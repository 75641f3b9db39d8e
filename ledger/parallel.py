"""Signature verification spread over the machine's cores.

Ed25519 verification holds the GIL in ``cryptography``, so threads do not help;
a process pool does. Work is shipped in chunks to keep pickling overhead small;
for a handful of signatures it is not worth the trip and runs inline.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from ledger.keys import algorithm

#: (algorithm name, public key, message, signature)
Check = tuple[str, bytes, bytes, bytes]
INLINE_BELOW = 32
CHUNK = 64


def verify_chunk(checks: Sequence[Check]) -> list[bool]:
    return [algorithm(name).verify(public, message, sig) for name, public, message, sig in checks]


class ParallelVerifier:
    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:  # forkserver: safe beside the server's threads
            context = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._pool

    def submit(self, checks: Sequence[Check]) -> list[Future[list[bool]]]:
        """Start verifying; one future per chunk, in order."""
        pool = self._executor()
        return [
            pool.submit(verify_chunk, checks[i : i + CHUNK]) for i in range(0, len(checks), CHUNK)
        ]

    def verify(self, checks: Sequence[Check]) -> list[bool]:
        if len(checks) < INLINE_BELOW or self.workers < 2:
            return verify_chunk(checks)
        return [ok for future in self.submit(checks) for ok in future.result()]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
