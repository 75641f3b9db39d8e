"""The running node: the database, log, application and service one process serves, and
what it does with them while it runs (store checks, the read models' worker or child process,
closing down).

It is built in one place, :mod:`api.bootstrap` (``open_node``, ``initialise``), which the HTTP
server and the CLI both start from, so they always agree on where things are.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Engine

from api.projection_process import OpenProjections, ProjectionProcess
from api.settings import Settings
from domain.application.aggregates import SubjectChain
from domain.application.elevator_ledger import ElevatorLedger
from domain.application.group_commit import GroupCommitter
from domain.application.log_chains import LogChains
from domain.application.service import LedgerService
from domain.application.store_check import RECENT, Disagreement, check_head, compare, recent_start
from domain.model.errors import WritesStopped
from domain.model.trust import TrustAnchor
from ledger.log import MerkleLog
from projections import read
from projections.clock import today_in
from projections.runner import ProjectionRunner
from projections.worker import ProjectionWorker

#: Where a disagreement between the event store and the log is reported (critical).
INTEGRITY_LOG = logging.getLogger("elevator_ledger.integrity")


#: Seconds the read models may trail a commit: while statements stream in, they catch up a few
#: times a second in larger steps rather than after every group commit (each catch-up is a few
#: write transactions per read model, taking turns with the writers for SQLite's lock).
PROJECTION_DELAY = 0.25


class Coalesced:
    """Calls ``action`` ``delay`` seconds after the first call, once for every call made
    meanwhile (on a timer thread)."""

    def __init__(self, action: Callable[[], None], delay: float) -> None:
        self.action, self.delay = action, delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def __call__(self) -> None:
        with self._lock:
            if self._timer is None:
                self._timer = threading.Timer(self.delay, self._fire)
                self._timer.daemon = True
                self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
        self.action()


@dataclass
class LedgerNode:
    settings: Settings
    engine: Engine
    log: MerkleLog
    app: ElevatorLedger
    service: LedgerService
    anchor: TrustAnchor
    committer: GroupCommitter
    projections: ProjectionRunner
    #: How a projection child opens its side (:func:`api.bootstrap.child_projections`).
    open_projections: OpenProjections
    worker: ProjectionWorker | None = None
    process: ProjectionProcess | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """What the read side takes "now" from (an aware instant); tests set a fixed one."""

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today in the ledger's time zone (``LEDGER_TIME_ZONE``): what due dates, flags, work
        lists and scorecard years are judged against."""
        return today_in(self.settings.zone, self.clock())

    def start_projection_worker(self) -> None:
        """Follow the log into the read models on a thread of this process (for callers that
        build a node themselves; ``serve`` uses :meth:`start_projection_process`)."""
        if self.worker is None and self.process is None:
            self.worker = ProjectionWorker(self.projections)
            self.committer.on_commit = Coalesced(self.worker.nudge, PROJECTION_DELAY)
            self.worker.start()

    def start_projection_process(self, interval: float = 1.0) -> None:
        """Follow the log into the read models in a child process (what ``serve`` runs): its
        catch-ups cost this process's request threads no GIL time. It is nudged after each
        group commit (at most every ``PROJECTION_DELAY`` s), started again if it has died,
        and stopped by :meth:`close`."""
        if self.worker is None and self.process is None:
            self.process = ProjectionProcess(self.settings, self.open_projections, interval)
            self.process.start()
            self.committer.on_commit = Coalesced(self.process.nudge, PROJECTION_DELAY)

    def check_recent(self, recent: int = RECENT) -> Disagreement | None:
        """Compare the log's last ``recent`` entries with their stored events (start-up: well
        under a second). On a disagreement, raise the alarm and refuse writes (503
        ``event-store-disagrees``); reads, all from the log, are served as before."""
        found = compare(self.app, self.engine, recent_start(self.engine, recent))
        if found is not None:
            self._refuse(found)
        return found

    def chains(self) -> LogChains:
        """Chains as the log holds them (what replays read), with the entries read model
        telling where the log has gone further than the event store."""
        return LogChains(self.app, self.engine, logged_head=self._logged_head)

    def _logged_head(self, subject: str) -> int | None:
        return read.logged_head(self.engine, subject)

    def check_loaded(self, chain: SubjectChain) -> None:
        """Before the write path judges a statement against a chain it loaded from the event
        store: its head must be the log's, or writes are refused from now on."""
        found = check_head(self.app, self.engine, chain.id, chain.version, self._logged_head)
        if found is not None:
            raise self._refuse(found)

    def _refuse(self, found: Disagreement) -> WritesStopped:
        reason = (
            f"the event store disagrees with the log at {found}; writes are refused until"
            " an operator has run `elevator-ledger check` and repaired the event store"
        )
        INTEGRITY_LOG.critical("%s", reason)
        return self.service.refuse(reason)

    def warm_up(self) -> None:
        """Start the worker processes a server needs (signature checks, promise signing) before
        it takes requests, rather than with its first large batch."""
        self.app.warm_up()
        self.service.promises.warm_up()

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()
        if self.worker is not None:
            self.worker.stop()
        self.committer.close()
        self.service.close()
        if self.app.verifier is not None:
            self.app.verifier.close()
        self.app.close()
        self.engine.dispose()
