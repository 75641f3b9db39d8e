"""The event store is an index of the log: are they the same, entry by entry?

Every chain event carries an entry (and, beside it, the disclosures of its personal values);
the log holds the same entry at the feed position it was integrated from. Nothing on the
read side takes a value from the event store (:mod:`domain.application.log_chains`), but the write
path
judges new statements against the chains it folds from it: a stored event edited in place
would make the ledger judge against a history the log does not hold. So a disagreement is a
fault, named by subject, version and log index — never a value shown:

- a log entry whose bytes do not match their stored leaf hash;
- a log entry with no event at its feed position (a deleted stored event);
- an event whose entry differs from the log's, or that is filed under another chain or version;
- an event the log has passed over (at a feed position it integrated past, but not in it);
- disclosures that do not match the digests in the signed entry.

``compare`` walks the whole log or, from ``start``, its most recent stretch (the server checks
the last :data:`RECENT` entries at start-up, in well under a second).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Engine, select

from domain.application.aggregates import chain_id_of
from domain.application.elevator_ledger import CHAIN_TOPICS, ElevatorLedger
from domain.application.log_chains import LoggedHead
from domain.model.personal import revealed_data
from domain.model.subjects import SubjectError
from domain.model.submission import statement_of
from ledger.disclosure import DisclosureError
from ledger.entry import Entry, EntryError, entry_hash
from ledger.schema import log_state
from ledger.stored_entries import StoredEntry, at_positions, stored_range

#: Entries the server compares with their stored events when it starts.
RECENT = 1000
#: Log entries compared per round (and events read per query).
PAGE = 1000


@dataclass(frozen=True)
class Disagreement:
    """The first entry where the event store and the log differ."""

    subject: str | None
    version: int | None
    log_index: int | None
    reason: str

    def __str__(self) -> str:
        where = [
            f"{self.subject} version {self.version}" if self.subject else None,
            f"log index {self.log_index}" if self.log_index is not None else None,
        ]
        return f"{', '.join(w for w in where if w)}: {self.reason}"


@dataclass(frozen=True)
class _Event:
    position: int
    chain: Any  # the originator id (UUID)
    version: int
    state: dict[str, Any]


def compare(
    app: ElevatorLedger,
    engine: Engine,
    start: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Disagreement | None:
    """The first disagreement between the log's entries from ``start`` on and the event
    store's chain events (None if they agree). ``progress`` is told how many entries were
    compared so far."""
    size = _log_size(engine)
    covered: int | None = None  # feed positions up to here have been looked at
    done = 0
    for page_start in range(start, size, PAGE):
        rows = stored_range(engine, page_start, min(size, page_start + PAGE))
        positions = [r.source_position for r in rows if r.source_position is not None]
        if not positions:
            continue
        first = positions[0] if covered is None else covered + 1
        events = {e.position: e for e in _events(app, first, positions[-1])}
        found = _page(rows, events)
        if found is not None:
            return found
        covered = positions[-1]
        done += len(rows)
        if progress is not None:
            progress(done)
    return None


def _page(rows: list[StoredEntry], events: dict[int, _Event]) -> Disagreement | None:
    """The first disagreement in one page of the log, in log order (a merge of the entries
    and the events by feed position)."""
    pending = sorted(events)
    i = 0
    for row in rows:
        position = row.source_position
        if position is not None and i < len(pending) and pending[i] < position:
            return _passed_over(events[pending[i]])
        event = None
        if position is not None and i < len(pending) and pending[i] == position:
            event, i = events[position], i + 1
        found = _one(row, event)
        if found is not None:
            return found
    if i < len(pending):
        return _passed_over(events[pending[i]])
    return None


def _chain_of(subject: str) -> UUID | None:
    """The chain of a log entry's subject; None if the subject is no reference at all, which
    no stored event's chain can match."""
    try:
        return chain_id_of(subject)
    except SubjectError:
        return None


def _one(row: StoredEntry, event: _Event | None) -> Disagreement | None:
    """How the log entry ``row`` and the event at its feed position disagree, if they do."""
    try:
        entry = Entry.from_bytes(row.data)
    except EntryError as exc:
        return Disagreement(None, None, row.index, f"the log entry is unreadable: {exc}")
    subject, version, index = entry.subject, entry.version, row.index

    def fault(reason: str) -> Disagreement:
        return Disagreement(subject, version, index, reason)

    if not row.intact:
        return fault("the log entry's bytes do not match its stored leaf hash")
    if event is None:
        return fault(
            f"the event store has no event at its feed position {row.source_position}"
            " (a deleted stored event?)"
        )
    if (event.chain, event.version) != (_chain_of(subject), version):
        return fault("the stored event at its feed position belongs to another chain or version")
    if str(event.state.get("entry", "")).encode() != row.data:
        return fault("the stored event's entry differs from the log's")
    if event.state.get("entry_hash") != entry_hash(row.data):
        return fault("the stored event's entry hash differs from the log's")
    try:
        revealed_data(statement_of(row.data.decode()), event.state.get("disclosures") or [])
    except (DisclosureError, ValueError) as exc:
        return fault(f"the stored disclosures do not match the signed digests: {exc}")
    return None


def _passed_over(event: _Event) -> Disagreement:
    try:
        entry = Entry.from_bytes(str(event.state.get("entry", "")).encode())
        subject, version = entry.subject, entry.version
    except EntryError:
        subject, version = None, None
    return Disagreement(
        subject,
        version if subject else None,
        None,
        f"the stored event at feed position {event.position} is not in the log, which"
        " integrated past it",
    )


def _events(app: ElevatorLedger, first: int, last: int) -> Iterator[_Event]:
    """Chain events with feed positions in ``[first, last]``."""
    start = first
    while start <= last:
        batch = app.recorder.select_notifications(
            start=start, limit=PAGE, stop=last, topics=CHAIN_TOPICS, inclusive_of_start=True
        )
        for n in batch:
            try:
                state = orjson.loads(n.state)
            except orjson.JSONDecodeError:
                state = {}
            yield _Event(n.id, n.originator_id, n.originator_version, state)
        if len(batch) < PAGE:
            return
        start = batch[-1].id + 1


def check_head(
    app: ElevatorLedger,
    engine: Engine,
    chain: UUID,
    version: int,
    logged_head: LoggedHead | None = None,
) -> Disagreement | None:
    """How the stored event of a chain's head (``version``) and its log entry disagree, if
    they do: what the write path asks of every chain it loads from the event store before it
    judges a statement against it (a few point queries). With ``logged_head``, a log that
    holds later versions of the chain than the event store does is a disagreement too (its
    newest stored events were deleted: judging against them would fork the chain)."""
    position = app.chain_positions(chain, version).get(version)
    if position is None:
        return Disagreement(None, version, None, f"chain {chain} has no event at its head")
    stored = at_positions(engine, [position]).get(position)
    if stored is None:  # integrated meanwhile? (the log's position first, then the entry)
        with engine.connect() as conn:
            integrated = int(conn.execute(select(log_state.c.source_position)).scalar_one())
        stored = at_positions(engine, [position]).get(position)
        if stored is None and position > integrated:
            return None  # saved a moment ago: the log integrates it next
    events = list(_events(app, position, position))
    if stored is None:
        return _passed_over(events[0]) if events else None
    found = _one(stored, events[0] if events else None)
    if found is None and logged_head is not None:
        subject = Entry.from_bytes(stored.data).subject
        logged = logged_head(subject) or 0
        if logged > version:
            return Disagreement(
                subject,
                version + 1,
                None,
                f"the log holds versions up to {logged}, the event store's chain ends at"
                f" version {version} (deleted stored events?)",
            )
    return found


def _log_size(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(log_state.c.size)).scalar_one())


def recent_start(engine: Engine, recent: int = RECENT) -> int:
    """The first index of the log's last ``recent`` entries."""
    return max(0, _log_size(engine) - recent)
