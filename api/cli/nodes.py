"""The ledger node a command works on, opened from the ``LEDGER_*`` settings and always closed
(closing stops the node's worker processes and threads): a node that cannot be opened is one
line on stderr and exit 1, like every failure of the command line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from api.bootstrap import SetupError, initialise, open_node
from api.cli.output import fail
from api.node import LedgerNode
from api.settings import Settings


@contextmanager
def initialised_node() -> Iterator[LedgerNode]:
    """This ledger's node, set up first where it is not yet (database, log key, root
    authority key, trust file: what ``init`` does, idempotent)."""
    try:
        node, _ = initialise(Settings())
    except SetupError as exc:
        fail(str(exc))
    try:
        yield node
    finally:
        node.close()


@contextmanager
def opened_node(check: bool = True) -> Iterator[LedgerNode]:
    """This ledger's node, which must already be set up; ``check``: compare the event store's
    recent entries with the log on opening (``check`` turns it off to compare them all)."""
    try:
        node = open_node(Settings(), check=check)
    except SetupError as exc:
        fail(str(exc))
    try:
        yield node
    finally:
        node.close()
