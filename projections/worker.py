"""Keeps read models caught up: in-process for the embedded default, or as its own worker."""

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

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.runner.catch_up()
            except Exception:  # keep following; the next round retries from the tracked position
                log.exception("projection catch-up failed")
