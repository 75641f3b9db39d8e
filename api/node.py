"""Wiring: settings → database, keys, trust anchor, the domain application, the log.

The HTTP server and the CLI both start here, so they always agree on where
things are. ``initialise`` is idempotent: it creates what is missing (schema,
log key, root authority key, genesis statements) and reuses the rest.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
from sqlalchemy import Engine

from api.migrations import MIGRATIONS as ACCESS_MIGRATIONS
from api.migrations import VERSION_TABLE as ACCESS_VERSION_TABLE
from api.settings import Settings
from domain.application.aggregates import SubjectChain
from domain.application.elevator_ledger import ElevatorLedger
from domain.application.gc_tuning import tune_gc
from domain.application.group_commit import GroupCommitter
from domain.application.log_chains import LogChains
from domain.application.service import LedgerService
from domain.application.store_check import RECENT, Disagreement, check_head, compare, recent_start
from domain.model.errors import WritesStopped
from domain.model.onboarding import onboarding_statements
from domain.model.roles import Role
from domain.model.signing import sign_statement
from domain.model.trust import TrustAnchor
from ledger.db import database_mutex, make_engine
from ledger.keys import KeyFormatError, SigningKey, VerifyingKey, load_signing_key, save_signing_key
from ledger.log import LogReader, MerkleLog
from ledger.migrate import upgrade
from ledger.note import NoteError, NoteSigner
from ledger.parallel import ParallelVerifier
from ledger.turns import Turns
from projections import read
from projections.clock import today_in
from projections.core import (
    ElevatorsProjection,
    EntriesProjection,
    OrganizationsProjection,
    ResponsibilityProjection,
)
from projections.runner import Projection, ProjectionRunner
from projections.schema import MIGRATIONS as PROJECTION_MIGRATIONS
from projections.worker import ProjectionWorker

if TYPE_CHECKING:
    from api.projection_process import ProjectionProcess


#: Where a disagreement between the event store and the log is reported (critical).
INTEGRITY_LOG = logging.getLogger("elevator_ledger.integrity")


class SetupError(RuntimeError):
    """The ledger is not initialised or its files are unusable."""


#: Seconds the read models may trail a commit: while statements stream in, they catch up a few
#: times a second in larger steps rather than after every group commit (each catch-up is a few
#: write transactions per read model, taking turns with the writers for SQLite's lock).
PROJECTION_DELAY = 0.25

#: Entries per projection write transaction. A writer waiting for its turn (TURN_KEY) waits for
#: at most one of them: measured at most ~21 ms with 50 entries of the slowest read model
#: (elevators) under load, ~40 ms with 100 (docs/performance.md, "Projections in their own
#: process"); bulk catch-up runs at ~6,100 entries/s with 50, ~9,000/s with 2,000.
PROJECTION_BATCH = 50

#: The key of the SQLite turn (:class:`ledger.turns.Turns`) that writers and projection runners
#: take around their write transactions. Not 727003: ``ElevatorLedger.accept_batch`` takes that
#: one inside the turn, and the same flock file taken twice in one thread would deadlock.
TURN_KEY = 727004


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
        from api.projection_process import ProjectionProcess

        if self.worker is None and self.process is None:
            self.process = ProjectionProcess(self.settings, interval=interval)
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


def eventsourcing_env(database_url: str) -> dict[str, str]:
    """The eventsourcing library's settings for the same database as the ledger tables."""
    parts = urlsplit(database_url)
    env = {"AGGREGATE_CACHE_MAXSIZE": "20000", "CREATE_TABLE": "y"}
    if parts.scheme == "sqlite":
        return {
            **env,
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": unquote(parts.path[1:]),
            "SQLITE_LOCK_TIMEOUT": "60",
        }
    if parts.scheme.startswith("postgres"):
        schema = "public"
        for option in parse_qs(parts.query).get("options", []):
            if option.startswith("-csearch_path="):
                schema = option.split("=", 1)[1]
        return {
            **env,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/"),
            "POSTGRES_HOST": parts.hostname or "",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": parts.username or "",
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_POOL_SIZE": "10",
            "POSTGRES_MAX_OVERFLOW": "20",
        }
    raise SetupError(f"unsupported database URL {database_url!r}")


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def load_log_signer(settings: Settings) -> NoteSigner:
    try:
        signer = NoteSigner.parse_private(settings.log_key_path.read_text())
    except FileNotFoundError:
        raise SetupError(
            f"no log key at {settings.log_key_path}; run `elevator-ledger init` first"
        ) from None
    except NoteError as exc:
        raise SetupError(f"log key {settings.log_key_path} is unusable: {exc}") from exc
    if signer.name != settings.origin:
        raise SetupError(f"log key is for origin {signer.name!r}, settings say {settings.origin!r}")
    return signer


def load_trust(settings: Settings) -> TrustAnchor:
    try:
        doc = orjson.loads(settings.trust_path.read_bytes())
        authority = doc["authority"]
        key = VerifyingKey.from_b64(authority["public_key"])
        return TrustAnchor(authority["uscc"], key)
    except FileNotFoundError:
        raise SetupError(f"no {settings.trust_path}; run `elevator-ledger init` first") from None
    except (orjson.JSONDecodeError, KeyError, TypeError, KeyFormatError) as exc:
        raise SetupError(f"{settings.trust_path} is unusable: {exc}") from exc


def initialise(settings: Settings) -> tuple[LedgerNode, bool]:
    """Create the schema, keys and genesis statements if missing; return the node."""
    created = False
    if not settings.log_key_path.exists():
        signer = NoteSigner(settings.origin, SigningKey.generate())
        _write_private(settings.log_key_path, signer.private_text())
        created = True
    if not settings.authority_key_path.exists():
        save_signing_key(SigningKey.generate(), settings.authority_key_path)
        created = True
    authority_key = load_signing_key(settings.authority_key_path)
    if not settings.trust_path.exists():
        _write_trust(settings, authority_key)
        created = True
    node = open_node(settings)
    if node.log.checkpoint_at(0) is None and node.log.size() == 0:
        node.log.sign_checkpoint()  # the empty tree's checkpoint, so readers always have one
        created = True
    if node.app.organization(node.anchor.uscc) is None:
        for statement in genesis_statements(node.anchor, authority_key, settings):
            node.service.submit(sign_statement(statement, [authority_key]).to_json())
        created = True
    # Events saved just before a crash, never acknowledged, join the log now rather than at
    # the next write.
    node.service.integrate_pending()
    return node, created


def _write_trust(settings: Settings, authority_key: SigningKey) -> None:
    signer = load_log_signer(settings)
    doc = {
        "origin": settings.origin,
        "log_verifier_key": signer.verifier.text(),
        "authority": {
            "uscc": settings.authority_uscc,
            "name": settings.authority_name,
            "key_id": authority_key.key_id,
            "public_key": authority_key.verifying_key.public_b64(),
        },
    }
    settings.trust_path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")


def genesis_statements(
    anchor: TrustAnchor, key: SigningKey, settings: Settings
) -> list[dict[str, Any]]:
    """The authority describes itself: registered, regulator role, its root key."""
    now = datetime.now(UTC)
    return onboarding_statements(
        regulator=anchor.uscc,
        uscc=anchor.uscc,
        name=settings.authority_name,
        district=settings.authority_district,
        address=settings.authority_name,
        legal_representative="局长",
        roles=[Role.REGULATOR],
        licences=[],
        key=key.verifying_key,
        at=now,
        valid_from=now.date(),
    )


def open_node(settings: Settings, check: bool = True) -> LedgerNode:
    """The node on the settings' database. ``check``: compare the most recent stretch of the
    log with its stored events first (:meth:`LedgerNode.check_recent`)."""
    tune_gc()
    url = settings.resolved_database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    signer = load_log_signer(settings)
    anchor = load_trust(settings)
    engine = make_engine(url)
    upgrade(engine)
    log = MerkleLog(engine, signer)
    app = _application(engine, anchor, url)
    upgrade(engine, PROJECTION_MIGRATIONS, "projections_alembic_version")
    upgrade(engine, ACCESS_MIGRATIONS, ACCESS_VERSION_TABLE)  # regulators' access tokens
    service = LedgerService(app, log, turn=turns(engine).writer)
    runner = projection_runner(engine, log, app)
    node = LedgerNode(settings, engine, log, app, service, anchor, GroupCommitter(service), runner)
    app.check_loaded = node.check_loaded
    service.check_log()  # the log first: it is what the key signs
    if check:
        node.check_recent()
    return node


def turns(engine: Engine) -> Turns:
    """The turns writers and projection runners take around their write transactions.

    SQLite has one write lock, and a connection that finds it taken polls for it with sleeps
    of up to 100 ms (its busy handler): a projection transaction meeting the writer's there
    stalled every request in flight for ~100 ms, sometimes ~580 ms. Queued at ``flock``s
    instead, a writer waits only for the projection transaction under way (writers first,
    see :mod:`ledger.turns`), and is woken the moment it ends. PostgreSQL queues lock waiters
    itself: no turns there.
    """
    return Turns.of(engine, TURN_KEY)


def projection_runner(engine: Engine, log: LogReader, app: ElevatorLedger) -> ProjectionRunner:
    """The read models over ``log``, in short transactions taken in turn with the writers."""
    return ProjectionRunner(
        engine, log, read_models(app, engine), batch=PROJECTION_BATCH, turn=turns(engine).runner
    )


def _application(engine: Engine, anchor: TrustAnchor, url: str) -> ElevatorLedger:
    """The eventsourcing application; on PostgreSQL its CREATE TABLE IF NOT EXISTS runs under an
    advisory lock, since processes starting together would otherwise race in the catalog."""

    def make() -> ElevatorLedger:
        return ElevatorLedger(
            anchor,
            env=eventsourcing_env(url),
            verifier=ParallelVerifier(workers=max(1, (os.cpu_count() or 1) - 1)),
            writer_lock=database_mutex(engine, 727003),
        )

    if engine.dialect.name != "postgresql":
        return make()
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_advisory_lock(727002)")
        try:
            return make()
        finally:
            conn.exec_driver_sql("SELECT pg_advisory_unlock(727002)")
            conn.commit()


def read_models(app: ElevatorLedger, engine: Engine) -> list[Projection]:
    """The read models; a cold fold of an elevator reads its chain from the log (the event
    store only says where its entries are: ``domain.application.log_chains``)."""
    chains = LogChains(app, engine)

    def read_chain(code: str, upto: int) -> list[tuple[int, bytes]]:
        if upto < 1:
            return []
        return [(e.index, e.data) for e in chains.entries(f"elevator:{code}", upto)]

    return [
        EntriesProjection(),
        ElevatorsProjection(read_chain),
        ResponsibilityProjection(),
        OrganizationsProjection(),
    ]
