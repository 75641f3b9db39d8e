"""Wiring: open the database, run migrations, load the log key, build the log.

Both the HTTP server and the CLI start from here, so they always agree on where
things are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from api.settings import Settings
from ledger.db import make_engine
from ledger.keys import SigningKey
from ledger.log import MerkleLog
from ledger.migrate import upgrade
from ledger.note import NoteError, NoteSigner


class SetupError(RuntimeError):
    """The ledger is not initialised or its files are unusable."""


@dataclass
class LedgerNode:
    settings: Settings
    engine: Engine
    log: MerkleLog

    def close(self) -> None:
        self.engine.dispose()


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


def initialise(settings: Settings) -> tuple[LedgerNode, bool]:
    """Create the database schema and the log key if missing (idempotent).

    Returns the node and whether anything was created.
    """
    created = False
    if not settings.log_key_path.exists():
        signer = NoteSigner(settings.origin, SigningKey.generate())
        _write_private(settings.log_key_path, signer.private_text())
        created = True
    node = open_node(settings)
    if node.log.size() == 0 and node.log.checkpoint_at(0) is None:
        node.log.sign_checkpoint()  # the empty tree's checkpoint, so readers always have one
        created = True
    return node, created


def open_node(settings: Settings) -> LedgerNode:
    if settings.resolved_database_url.startswith("sqlite:///"):
        Path(settings.resolved_database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    signer = load_log_signer(settings)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    return LedgerNode(settings, engine, MerkleLog(engine, signer))
