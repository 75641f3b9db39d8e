"""The composition root: settings → what the HTTP server, the CLI and the projection child run.

Everything a process needs is built here and handed to what uses it: the database engine
(migrated), the log and its signing key, the trust anchor, the eventsourcing application,
the service and its group committer, and the read models' runner. The modules it builds from
import nothing from here, so each can be read (and tested) on its own; the entry points call
:func:`open_node` or :func:`initialise` (``api.app``, ``api.cli``), and the projection child
:func:`child_projections` (through :class:`~api.projection_process.ProjectionProcess`).

``initialise`` is idempotent: it creates what is missing (schema, log key, root authority key,
genesis statements) and reuses the rest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine

from api.migrations import MIGRATIONS as ACCESS_MIGRATIONS
from api.migrations import VERSION_TABLE as ACCESS_VERSION_TABLE
from api.node import LedgerNode
from api.settings import Settings
from domain.application.elevator_ledger import ElevatorLedger
from domain.application.gc_tuning import tune_gc
from domain.application.group_commit import GroupCommitter
from domain.application.ledger_factory import UnsupportedDatabase, stored_ledger
from domain.application.log_chains import LogChains
from domain.application.service import LedgerService
from domain.model.onboarding import onboarding_statements
from domain.model.roles import Role
from domain.model.signing import sign_statement
from domain.model.subjects import SubjectRef
from domain.model.trust import TrustAnchor
from ledger.db import database_mutex, make_engine
from ledger.keys import KeyFormatError, SigningKey, VerifyingKey, load_signing_key, save_signing_key
from ledger.locks import LockKey
from ledger.log import LogReader, MerkleLog
from ledger.migrate import upgrade
from ledger.note import NoteError, NoteSigner
from ledger.parallel import ParallelVerifier
from ledger.turns import Turns
from projections.core import (
    ElevatorsProjection,
    EntriesProjection,
    OrganizationsProjection,
    ResponsibilityProjection,
)
from projections.runner import Projection, ProjectionRunner
from projections.schema import MIGRATIONS as PROJECTION_MIGRATIONS


class SetupError(RuntimeError):
    """The ledger is not initialised or its files are unusable."""


#: Entries per projection write transaction. A writer waiting for its turn (LockKey.TURN)
#: waits for at most one of them: measured at most ~21 ms with 50 entries of the slowest read
#: model (elevators) under load, ~40 ms with 100 (docs/performance.md, "Projections in their
#: own process"); bulk catch-up runs at ~6,100 entries/s with 50, ~9,000/s with 2,000.
PROJECTION_BATCH = 50


# --- the server and the CLI ---------------------------------------------------------------


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
    app = writers_ledger(engine, anchor, url)
    upgrade(engine, PROJECTION_MIGRATIONS, "projections_alembic_version")
    upgrade(engine, ACCESS_MIGRATIONS, ACCESS_VERSION_TABLE)  # regulators' access tokens
    service = LedgerService(app, log, turn=turns(engine).writer)
    runner = projection_runner(engine, log, app)
    node = LedgerNode(
        settings,
        engine,
        log,
        app,
        service,
        anchor,
        GroupCommitter(service),
        runner,
        open_projections=child_projections,
    )
    app.check_loaded = node.check_loaded
    service.check_log()  # the log first: it is what the key signs
    if check:
        node.check_recent()
    return node


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


def writers_ledger(engine: Engine, anchor: TrustAnchor, url: str) -> ElevatorLedger:
    """The application of a process that writes: signature checks on every core but one,
    judging and saving under the writers' lock. On PostgreSQL its CREATE TABLE IF NOT EXISTS
    runs under an advisory lock, since processes starting together would otherwise race in
    the catalog."""
    with table_creation(engine), unsupported_is_setup_error():
        return stored_ledger(
            anchor,
            url,
            verifier=ParallelVerifier(workers=max(1, (os.cpu_count() or 1) - 1)),
            writer_lock=database_mutex(engine, LockKey.WRITERS),
        )


def table_creation(engine: Engine) -> AbstractContextManager[object]:
    """Held while the event store creates its tables: the advisory lock on PostgreSQL; SQLite
    serialises table creation itself."""
    if engine.dialect.name != "postgresql":
        return nullcontext()
    return database_mutex(engine, LockKey.TABLES)()


@contextmanager
def unsupported_is_setup_error() -> Iterator[None]:
    """A database URL the event store cannot use is the operator's to fix, like a missing key."""
    try:
        yield
    except UnsupportedDatabase as exc:
        raise SetupError(str(exc)) from exc


# --- the projection child -----------------------------------------------------------------


@contextmanager
def child_projections(settings: Settings) -> Iterator[ProjectionRunner]:
    """The projection child's side, from the settings alone: its own engine, the log as a
    :class:`~ledger.log.LogReader` (the log's private key never reaches the child), and an
    application that only reads (the server made the tables; no signature pool, no writer
    lock). Closed when the child ends."""
    engine = make_engine(settings.resolved_database_url)
    try:
        anchor = load_trust(settings)
        with unsupported_is_setup_error():
            app = stored_ledger(anchor, settings.resolved_database_url, create_tables=False)
        with closing(app):
            yield projection_runner(engine, LogReader(engine, settings.origin), app)
    finally:
        engine.dispose()


# --- shared by both -----------------------------------------------------------------------


def turns(engine: Engine) -> Turns:
    """The turns writers and projection runners take around their write transactions.

    SQLite has one write lock, and a connection that finds it taken polls for it with sleeps
    of up to 100 ms (its busy handler): a projection transaction meeting the writer's there
    stalled every request in flight for ~100 ms, sometimes ~580 ms. Queued at ``flock``s
    instead, a writer waits only for the projection transaction under way (writers first,
    see :mod:`ledger.turns`), and is woken the moment it ends. PostgreSQL queues lock waiters
    itself: no turns there.
    """
    return Turns.of(engine, LockKey.TURN)


def projection_runner(engine: Engine, log: LogReader, app: ElevatorLedger) -> ProjectionRunner:
    """The read models over ``log``, in short transactions taken in turn with the writers."""
    return ProjectionRunner(
        engine, log, read_models(app, engine), batch=PROJECTION_BATCH, turn=turns(engine).runner
    )


def read_models(app: ElevatorLedger, engine: Engine) -> list[Projection]:
    """The read models; a cold fold of an elevator reads its chain from the log (the event
    store only says where its entries are: ``domain.application.log_chains``)."""
    chains = LogChains(app, engine)

    def read_chain(code: str, upto: int) -> list[tuple[int, bytes]]:
        if upto < 1:
            return []
        return [(e.index, e.data) for e in chains.entries(str(SubjectRef.elevator(code)), upto)]

    def read_organization(uscc: str, upto: int) -> list[tuple[int, bytes]]:
        if upto < 1:
            return []
        subject = str(SubjectRef.organization(uscc))
        return [(e.index, e.data) for e in chains.entries(subject, upto)]

    return [
        EntriesProjection(),
        ElevatorsProjection(read_chain),
        ResponsibilityProjection(),
        OrganizationsProjection(read_organization),
    ]


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


# --- first run: the keys, the trust file, the authority's own statements -------------------


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())


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
