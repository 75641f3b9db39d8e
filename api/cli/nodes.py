"""The ledger node a command works on, opened from the ``LEDGER_*`` settings and always closed
(closing stops the node's worker processes and threads): a node that cannot be opened is one
line on stderr and exit 1, like every failure of the command line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from api.bootstrap import SetupError, initialise, open_node
from api.cli.output import fail
from api.node import LedgerNode
from api.settings import Settings


def initialised_node() -> AbstractContextManager[LedgerNode]:
    """This ledger's node, set up first where it is not yet (database, log key, root
    authority key, trust file: what ``init`` does, idempotent)."""
    return _node(lambda: initialise(Settings())[0])


def opened_node(check: bool = True) -> AbstractContextManager[LedgerNode]:
    """This ledger's node, which must already be set up; ``check``: compare the event store's
    recent entries with the log on opening (``check`` turns it off to compare them all)."""
    return _node(lambda: open_node(Settings(), check=check))


@contextmanager
def _node(open_it: Callable[[], LedgerNode]) -> Iterator[LedgerNode]:
    """The one way a command holds a node: a setup failure is the command's failure, and the
    node is closed however the command ends."""
    try:
        node = open_it()
    except SetupError as exc:
        fail(str(exc))
    try:
        yield node
    finally:
        node.close()
