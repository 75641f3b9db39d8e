"""Keeps read models caught up: a thread that follows the log whenever nudged.

``elevator-ledger serve`` runs it in a process of its own (``api.projection_process``), so
that the read models cost the server's request threads no GIL time; in-process it serves
callers that build a node themselves (tests, tools).
"""

from __future__ import annotations

import logging
import threading

from projections.runner import ProjectionRunner

log = logging.getLogger(__name__)


class ProjectionWorker:
    """A thread that catches the read models up whenever nudged, and every ``interval`` anyway
    (SQLite has no notifications; another process may have written)."""

    def __init__(self, runner: ProjectionRunner, interval: float = 1.0) -> None:
        self.runner, self.interval = runner, interval
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="projections", daemon=True)

    def start(self) -> None:
        self._wake.set()  # catch up at once: the log may have grown while nobody followed it
        self._thread.start()

    def nudge(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        """Stop following: a catch-up under way ends after its current transaction."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.runner.catch_up(stop=self._stop.is_set)
            except Exception:  # keep following; the next round retries from the tracked position
                log.exception("projection catch-up failed")
