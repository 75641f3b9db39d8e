"""Group commit: concurrent single submissions share one transaction and one log integration.

Request threads hand their envelope to one writer thread and wait. The writer
takes whatever has queued up (up to ``max_batch``), judges the envelopes one by
one, commits the accepted ones together, integrates them into the log, and only
then answers each waiting request — so an acknowledgement always means durable
and in the log. A rejection answers only its own request.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from domain.application.service import LedgerService, Receipt
from domain.model.errors import Rejected

_STOP = object()


class GroupCommitter:
    def __init__(
        self,
        service: LedgerService,
        max_batch: int = 256,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.service, self.max_batch, self.on_commit = service, max_batch, on_commit
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def submit(self, envelope: bytes | Mapping[str, Any], timeout: float = 120) -> Receipt:
        """Blocks until the envelope is committed and in the log, or raises why not."""
        result = self.enqueue(envelope).result(timeout=timeout)
        if isinstance(result, Rejected):
            raise result
        return result

    def enqueue(self, envelope: bytes | Mapping[str, Any]) -> Future[Receipt | Rejected]:
        """Queue the envelope without waiting: the future ends with its receipt or the
        rejection (an async caller awaits it without holding a thread)."""
        done: Future[Receipt | Rejected] = Future()
        self._queue.put((envelope, done))
        return done

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            items = [first]
            while len(items) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)
                    break
                items.append(item)
            self._commit(items)

    def _commit(self, items: list[tuple[bytes | Mapping[str, Any], Future[Any]]]) -> None:
        try:
            results = self.service.submit_batch([envelope for envelope, _ in items])
        except Exception as exc:  # e.g. the database went away: every waiter learns it
            for _, done in items:
                done.set_exception(exc)
            return
        for (_, done), result in zip(items, results, strict=True):
            done.set_result(result)
        if self.on_commit is not None:
            self.on_commit()
