"""A subject's chain as the log holds it: what the read side shows, and nothing else.

The event store keeps every chain entry too (each chain event carries its entry), but it is an
*index* of the log, never a source of what anyone reads: an edited stored event must not reach
a read model, a page, the API or a replay. So the event store is asked only *where* a chain's
entries are (their feed positions, which the log keeps as ``source_position``), the entries
themselves come from ``log_entries``, and each is checked before it is used: its bytes against
the leaf hash stored with them, its subject and version against what was asked for. Where the
two disagree, :class:`ChainFault` names the entry; no value from either is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from domain.application.aggregates import chain_id_of
from domain.application.elevator_ledger import ElevatorLedger
from ledger.entry import Entry, EntryError
from ledger.schema import log_state
from ledger.stored_entries import StoredEntry, at_positions


class ChainFault(RuntimeError):
    """The log and its index (the event store) disagree about one entry of a chain."""

    def __init__(self, subject: str, version: int, log_index: int | None, reason: str) -> None:
        where = f"{subject} version {version}"
        if log_index is not None:
            where += f" (log index {log_index})"
        super().__init__(f"{where}: {reason}")
        self.subject, self.version, self.log_index, self.reason = (
            subject,
            version,
            log_index,
            reason,
        )


#: The highest version of a subject's chain that a log-derived index (the entries read
#: model) holds: it may lag the log, never lead it, so a chain that ends below it has lost
#: stored events. None: the index knows no version of it.
LoggedHead = Callable[[str], int | None]


@dataclass
class LogChains:
    """Reads chains from the log, finding them through the event store's feed positions;
    ``logged_head`` tells where the log is known to have gone further than the event store."""

    app: ElevatorLedger
    engine: Engine
    logged_head: LoggedHead | None = None

    def entries(self, subject: str, upto: int | None = None) -> list[StoredEntry]:
        """The chain's entries, versions 1 to ``upto``, from the log, in version order.

        Without ``upto``: every version the log holds (a version saved but not yet integrated
        into the log is not shown). Raises :class:`ChainFault` on any disagreement: a version
        the index lacks or the log lacks (though the log has integrated past it), an entry
        whose bytes do not match their leaf hash, or one that is another subject's or version.
        """
        try:
            chain = chain_id_of(subject)
        except ValueError:
            return []
        positions = self.app.chain_positions(chain)
        last = max(positions, default=0) if upto is None else upto
        if upto is None and self.logged_head is not None:
            logged = self.logged_head(subject) or 0
            if logged > last:  # the event store lost the chain's newest events
                raise ChainFault(
                    subject,
                    last + 1,
                    None,
                    f"the log holds versions up to {logged}, the event store's chain ends at"
                    f" version {last} (deleted stored events?)",
                )
        for version in range(1, last + 1):
            if version not in positions:
                raise ChainFault(subject, version, None, "the event store has no event for it")
        wanted = [positions[v] for v in range(1, last + 1)]
        found = at_positions(self.engine, wanted)
        integrated: int | None = None
        if len(found) < len(wanted):  # integrated meanwhile? (read the log's position first)
            integrated = self._integrated()
            found.update(at_positions(self.engine, [p for p in wanted if p not in found]))
        out: list[StoredEntry] = []
        for version in range(1, last + 1):
            stored = found.get(positions[version])
            if stored is None:
                assert integrated is not None
                if upto is None and positions[version] > integrated:
                    break  # saved a moment ago; the log will hold it after the next integration
                raise ChainFault(
                    subject,
                    version,
                    None,
                    f"not in the log (the event store puts it at feed position"
                    f" {positions[version]})",
                )
            out.append(_checked(stored, subject, version))
        return out

    def _integrated(self) -> int:
        """The feed position the log has integrated up to: an entry from a position up to it
        is in the log for whoever looks *after* reading it (they commit together)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(log_state.c.source_position)).scalar_one())


def _checked(stored: StoredEntry, subject: str, version: int) -> StoredEntry:
    """``stored`` if it is intact and is ``subject``'s entry at ``version``."""
    if not stored.intact:
        raise ChainFault(
            subject, version, stored.index, "its stored bytes do not match their leaf hash"
        )
    try:
        entry = Entry.from_bytes(stored.data)
    except EntryError as exc:
        raise ChainFault(subject, version, stored.index, str(exc)) from None
    if (entry.subject, entry.version) != (subject, version):
        raise ChainFault(
            subject,
            version,
            stored.index,
            f"the log entry at its feed position is {entry.subject} version {entry.version}",
        )
    return stored
