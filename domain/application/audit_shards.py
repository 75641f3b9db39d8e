"""The replay of the write path (:mod:`domain.application.reverify`) split by subject over
several processes, for :mod:`domain.application.audit`.

Why the split is exact. What the ledger decides about a statement depends on

* the statement itself (envelope, canonical payload, schema): the same everywhere;
* the signers' keys — the ``KeyRecord`` index, as the log before the statement holds it (a
  key revoked earlier in the log signs nothing more) — and the organizations' states (roles,
  licences, terminal bindings): both are built only from organization statements;
* the chain of the statement's own subject: its state, its ``seen`` payloads (replays are
  answered per chain), its head and version;
* the entry's own ``recorded_at``: no rule compares it with other subjects' entries. (Should
  one ever — say, a ledger clock that never runs backwards over the whole log — the parent,
  which sees every entry, would have to keep that time and send it with each entry.)

No rule reads another elevator's chain: every uniqueness rule of an elevator (contract
numbers, visit, rescue, hazard and order ids) is scoped to that elevator, and a terminal key's
binding is part of its ``key.registered`` (an organization statement). One organization
statement reads an elevator: a terminal key's ``key.registered`` is judged against the elevator
it is bound to (its owner must be that elevator's use unit or contracted maintainer). That
elevator is given its shard there and then if it has none, and only that shard judges the
binding; the others are told the binding is judged elsewhere and check the rest. So each shard
replays *every* organization statement and the statements of the elevators assigned to it, all
in log order: every shard builds the same key index and organization states as the one-process
replay, and each elevator's chain in exactly one shard, so up to the first entry the
one-process replay refuses, every shard accepts what it would, and at that entry the shard
holding it (for a binding: the bound elevator's) refuses it for the same reason. The first
problem by log position over all shards is the first problem of the whole log.

Where an entry goes is read from its *payload* (the statement's type and elevator), never
from the entry's ``subject`` field: a statement stored in the wrong chain must still be judged
against its own subject's history, as the one-process replay does. A payload that cannot be
read that way goes to every shard; see :func:`route`.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime

import orjson

from domain.application.gc_tuning import tune_gc
from domain.application.reverify import Reverifier
from domain.model.catalogue import Subject, statement_type
from domain.model.submission import parse_payload
from domain.model.trust import TrustAnchor
from ledger.audit import Finding, parse_entries
from ledger.dsse import b64decode_any
from ledger.entry import Entry
from ledger.parallel import Shards

#: (position in the replay, log index, entry bytes, its recorded_at, the elevator whose terminal
#: binding this entry registers if another shard judges it)
Item = tuple[int, int, bytes, datetime, str | None]
#: (entries re-accepted, (position, finding) of the first that was not if any, CPU seconds the
#: shard has used so far)
Reply = tuple[int, tuple[int, Finding] | None, float]
#: rounds (replay batches) in flight at once; enough to keep every shard busy while another
#: catches up, few enough to bound memory
WINDOW = 4
#: the modules a shard needs, imported once by the fork server
PRELOAD = ("domain.application.audit_shards",)


def route(entry: Entry) -> str | None:
    """The elevator whose chain this entry's statement joins, or ``None`` for every shard.

    ``None`` means an organization's statement (every shard needs the keys, roles and
    licences), or a payload that is not a statement at all — which the ledger refuses before
    looking at any chain, after checking signatures against keys every shard knows: each
    shard refuses it, for the same reason. Reading the type and elevator straight from the
    payload's JSON gives the same answer as the ledger's own parse for every statement the
    ledger can accept (its payload is canonical JSON, so no repeated keys, and neither field
    is rewritten by validation); when that read fails, the ledger's parse decides.

    The envelope judged is the one the ledger takes from a submission: the stored object, or
    the one inside it if it has the form of a submission with disclosures (``{"envelope",
    "disclosures"}``, see :func:`domain.model.submission.parse_submission`) — only a tampered
    entry has.
    """
    payload = _payload(entry)
    if payload is None:
        return None
    try:
        doc = orjson.loads(b64decode_any(payload))
        if statement_type(doc["type"]).subject is Subject.ORGANIZATION:
            return None
        code = doc["elevator"]
    except Exception:  # not JSON, not an object, no such type, no elevator: ask the parser
        return _route_by_parse(payload)
    return code if isinstance(code, str) else _route_by_parse(payload)


def bound_elevator(entry: Entry) -> str | None:
    """The elevator a ``key.registered`` entry binds a terminal key to, if it does (read from
    the payload as :func:`route` reads it; an unreadable one binds nothing here, and every shard
    then judges it alike)."""
    payload = _payload(entry)
    if payload is None:
        return None
    try:
        doc = orjson.loads(b64decode_any(payload))
        if doc["type"] != "key.registered":
            return None
        code = doc["data"]["bound_elevator"]
    except Exception:
        return None
    return code if isinstance(code, str) else None


def _payload(entry: Entry) -> str | None:
    """The payload text of the envelope the ledger judges for ``entry`` (the stored object, or
    the one inside a submission with disclosures), if it has one."""
    envelope = entry.envelope
    if "envelope" in envelope:
        envelope = envelope["envelope"]
    payload = envelope.get("payload") if isinstance(envelope, dict) else None
    return payload if isinstance(payload, str) else None


def _route_by_parse(payload: str) -> str | None:
    try:
        stmt = parse_payload(payload)
    except Exception:  # refused by every shard alike
        return None
    return stmt.elevator if stmt.statement_type.subject is Subject.ELEVATOR else None


def preload() -> tuple[str, ...]:
    """What the fork server imports once for every shard: :data:`PRELOAD`, and this process's
    main module when it has a name (``python -m …``), which each shard would import again
    otherwise (multiprocessing's own ``"__main__"`` preload has no effect for a fork server
    in Python 3.11)."""
    main = getattr(sys.modules.get("__main__"), "__spec__", None)
    name = getattr(main, "name", None)
    return (*PRELOAD, name) if isinstance(name, str) and name != "__main__" else PRELOAD


def shard_env(env: Mapping[str, str], number: int) -> dict[str, str]:
    """The replay's event store for one shard: an SQLite file of its own (``<name>.<n>``)."""
    out = dict(env)
    name = out.get("SQLITE_DBNAME")
    if name and name != ":memory:" and "mode=memory" not in name:
        out["SQLITE_DBNAME"] = f"{name}.{number}"
    return out


class ShardReplay:
    """Inside a shard's process: one :class:`~domain.application.reverify.Reverifier`, fed round
    by round."""

    def __init__(self, config: tuple[TrustAnchor, dict[str, str]]) -> None:
        tune_gc()  # this process judges statements from now on
        anchor, env = config
        self.replay: Reverifier = Reverifier(anchor, env)

    def handle(self, items: Sequence[Item]) -> Reply:
        if self.replay.problem is not None or not items:
            return 0, None, time.process_time()  # spent: the parent stops at its problem
        before = self.replay.checked
        elsewhere = self.replay.app.judge.bindings_judged_elsewhere
        elsewhere.update(code for *_, code in items if code is not None)
        problem = self.replay.check(
            [(index, data) for _, index, data, _, _ in items],
            [_entry(data, recorded_at) for _, _, data, recorded_at, _ in items],
        )
        done = self.replay.checked - before
        found = None if problem is None else (items[done][0], problem)
        return done, found, time.process_time()

    def close(self) -> None:
        self.replay.close()


def _entry(data: bytes, recorded_at: datetime) -> Entry:
    """An entry the parent already parsed strictly (canonical bytes, five fields)."""
    doc = orjson.loads(data)
    return Entry(doc["envelope"], doc["subject"], doc["version"], doc["prev"], recorded_at)


class ShardedReplay:
    """The parent's side: routes each batch to the shards, and reads their answers in order.

    Same use as :class:`~domain.application.reverify.Reverifier` — :meth:`check` consecutive
    batches, then :meth:`finish` — except that answers arrive up to :data:`WINDOW` batches
    late: ``check`` returns a problem once the batch holding it has been answered by every
    shard, and ``finish`` waits for all of them. ``checked`` counts the entries re-accepted so far.
    """

    def __init__(
        self,
        anchor: TrustAnchor,
        env: Mapping[str, str],
        workers: int,
        window: int = WINDOW,
    ) -> None:
        configs = [(anchor, shard_env(env, n)) for n in range(workers)]
        self._shards: Shards[tuple[TrustAnchor, dict[str, str]], list[Item], Reply] = Shards(
            ShardReplay, configs, window=window, preload=preload()
        )
        self._owner: dict[str, int] = {}  # elevator -> shard
        self._load = [0] * workers  # elevator entries sent to each shard
        self._rounds: deque[int] = deque()  # entries in each round in flight
        self._position = 0  # of the next entry in the replay
        self.checked = 0
        self.problem: Finding | None = None
        #: CPU seconds each shard had used by its latest answer (how evenly the work is split)
        self.cpu = [0.0] * workers

    @property
    def workers(self) -> int:
        return self._shards.count

    def check(
        self, batch: Sequence[tuple[int, bytes]], entries: Sequence[Entry] | None = None
    ) -> Finding | None:
        """Send the next entries; the first problem among those answered, if any."""
        if self.problem is not None:
            raise RuntimeError("the replay already found a problem; start a new one")
        messages: list[list[Item]] = [[] for _ in range(self.workers)]
        # a malformed entry ends the replay once everything before it is judged
        parsed, malformed = parse_entries(batch, entries)
        sent = 0
        for index, data, entry in parsed:
            item: Item = (self._position + sent, index, data, entry.recorded_at, None)
            sent += 1
            code = route(entry)
            if code is None:
                bound = bound_elevator(entry)
                judge = None if bound is None else self._shard_of(bound)
                for number, message in enumerate(messages):
                    elsewhere = bound if judge is not None and number != judge else None
                    message.append(item if elsewhere is None else (*item[:4], elsewhere))
            else:
                messages[self._shard_of(code)].append(item)
        if sent:
            self._position += sent
            answered = self._shards.submit(messages)
            self._rounds.append(sent)
            if self._settle(answered) is not None:
                return self.problem
        if malformed is not None:
            self._settle(self._shards.drain())
            self.problem = self.problem or malformed
        return self.problem

    def finish(self) -> Finding | None:
        """Wait for every shard to judge everything sent; the first problem, if any."""
        if self.problem is None:
            self._settle(self._shards.drain())
        return self.problem

    def close(self) -> None:
        """Stop the shards (at once if answers are still due: they are not needed)."""
        self._shards.close(wait=self._shards.in_flight == 0)

    def _shard_of(self, code: str) -> int:
        shard = self._owner.get(code)
        if shard is None:  # a new elevator goes to the shard with the least work so far
            shard = self._owner[code] = self._load.index(min(self._load))
        self._load[shard] += 1
        return shard

    def _settle(self, rounds: list[list[Reply]]) -> Finding | None:
        """Count answered rounds, oldest first; stop at the first with a problem."""
        for replies in rounds:
            size = self._rounds.popleft()
            self.cpu = [cpu for _, _, cpu in replies]
            found = [problem for _, problem, _ in replies if problem is not None]
            if found:
                position, finding = min(found, key=lambda p: p[0])
                self.checked = position  # every entry before it was re-accepted
                self.problem = finding
                return finding
            self.checked += size
        return None
