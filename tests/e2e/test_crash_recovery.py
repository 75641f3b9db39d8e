"""Crash recovery: ``kill -9`` a serving ledger in the middle of a stream of submissions,
restart it, and check that nothing acknowledged was lost and nothing was half-written.

A small ledger (a manufacturer, a maintenance unit, a few manufactured elevators) is seeded
in-process; then ``elevator-ledger serve`` runs as a subprocess while client threads POST
signed fault reports (unique fault ids) one by one. At a chosen moment the server gets
SIGKILL. With the server down the store must hold a consistent log:

- every acknowledged (201) receipt's entry is in the log at its index with its hash, and the
  receipt's promise and inclusion proof verify offline under the log key;
- the log is exactly the first chain events of the event store, in order (a crash may leave
  saved-but-unintegrated events after it: none of them was acknowledged), every entry parses,
  the root recomputed from all entries is the latest signed checkpoint's, every signed
  checkpoint is a prefix of the log;
- the read models' tracking positions are within the checkpoint, and ``read_entries`` holds
  exactly the log's entries up to them.

After the restart, submissions resume (the next version of the chain, linked to its head),
what was in flight when the server died is either already in the log (a replay: 200) or
accepted now (201), each exactly once; the log then holds every chain event; the server's
projection worker catches up to exactly the log's entries; the offline verifier
(:func:`domain.application.audit.verify_log`, and ``elevator-ledger export`` + ``verify`` at the
end)
passes. Each test kills the server several times at different moments; the ``slow`` soak
repeats it many times. ``LEDGER_CRASH_SEED`` fixes the random moments.
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from api.bootstrap import open_node
from api.node import LedgerNode
from domain.application.audit import verify_log
from ledger.entry import Entry, entry_hash
from ledger.merkle import MemoryTree
from ledger.note import open_checkpoint
from ledger.receipt import Promise, verify_inclusion
from ledger.schema import log_checkpoints
from projections.schema import entries as read_entries
from tests.support.seeded import Seeded, seed
from tests.support.servers import Server, cli_command, server_env, start_server

ELEVATORS = 4
CLIENTS = 6
POOL = 1500  # envelopes signed per round: more than a server accepts before the kill
SEED = int(os.environ.get("LEDGER_CRASH_SEED", random.randrange(2**32)))
JSON = {"content-type": "application/json"}


# --------------------------------------------------------------------------------------------
# the ledger under test
# --------------------------------------------------------------------------------------------


def code(i: int) -> str:
    return f"31102301020160{i:04d}"


def seed_ledger(home: Path, url: str) -> Seeded:
    return seed(home, url, [code(i) for i in range(ELEVATORS)])


def payload_of(envelope: bytes) -> str:
    return str(orjson.loads(envelope)["payload"])


# --------------------------------------------------------------------------------------------
# streaming submissions until the server dies
# --------------------------------------------------------------------------------------------


class Stream:
    """Client threads POSTing envelopes one at a time (each its own keep-alive connection)
    until the envelopes run out or the server stops answering."""

    def __init__(self, url: str, envelopes: Sequence[bytes], clients: int = CLIENTS) -> None:
        self.url, self.envelopes = url, envelopes
        self.acked: dict[int, dict[str, Any]] = {}  # envelope number -> 201 receipt
        self.refused: dict[int, tuple[int, str]] = {}  # answered, but not with 201
        self.unanswered: set[int] = set()  # sent (or being sent) when the server died
        self._next = itertools.count()
        self.taken = 0
        self._cond = threading.Condition()
        self._threads = [
            threading.Thread(target=self._client, name=f"client-{i}", daemon=True)
            for i in range(clients)
        ]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def _take(self) -> int | None:
        with self._cond:
            i = next(self._next)
            if i >= len(self.envelopes):
                return None
            self.taken = i + 1
            return i

    def _client(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while (i := self._take()) is not None:
                try:
                    response = client.post(
                        "/v1/statements", content=self.envelopes[i], headers=JSON
                    )
                except httpx.TransportError:
                    with self._cond:
                        self.unanswered.add(i)
                    return
                with self._cond:
                    if response.status_code == 201:
                        self.acked[i] = response.json()
                    else:
                        self.refused[i] = (response.status_code, response.text[:300])
                    self._cond.notify_all()

    def wait_for_acks(self, n: int, timeout: float = 60) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.acked) >= n or self.done(), timeout)

    def done(self) -> bool:
        return not any(t.is_alive() for t in self._threads)

    def join(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        assert self.done(), "a client thread hangs after the server died"


@dataclass(frozen=True)
class Moment:
    """When to kill: once ``acks`` submissions were acknowledged, ``delay`` seconds later."""

    label: str
    acks: int
    delay: float


def moments(rng: random.Random, n: int) -> list[Moment]:
    """Different moments: at the first acknowledgement, a random instant soon after the
    stream starts, and after a random number of acknowledgements; then at random."""
    fixed = [
        Moment("at the first acknowledgement", 1, 0.0),
        Moment("a random instant into the stream", 0, round(rng.uniform(0.05, 0.6), 3)),
        Moment("after a random number of acknowledgements", rng.randint(30, 150), 0.0),
    ]
    more = [
        Moment("at random", rng.choice([0, 1, rng.randint(2, 200)]), round(rng.uniform(0, 0.4), 3))
        for _ in range(max(0, n - len(fixed)))
    ]
    return (fixed + more)[:n]


def stream_and_kill(server: Server, envelopes: Sequence[bytes], moment: Moment) -> Stream:
    stream = Stream(server.url, envelopes)
    stream.start()
    if not stream.wait_for_acks(moment.acks):
        server.kill()
        pytest.fail(f"no acknowledgements from the server:\n{server.output_tail()}")
    time.sleep(moment.delay)
    server.kill()
    stream.join()
    assert stream.taken < len(envelopes), "the stream ran out before the kill: raise POOL"
    assert not stream.refused, f"fresh fault reports refused: {list(stream.refused.values())[:3]}"
    return stream


# --------------------------------------------------------------------------------------------
# what the store must hold
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogState:
    data: list[bytes]  # the log's entries, in order
    chain_events: int  # chain events in the event store

    @property
    def size(self) -> int:
        return len(self.data)


def check_store(node: LedgerNode, seeded: Seeded, receipts: Sequence[dict[str, Any]]) -> LogState:
    """Everything a crash must not break, read straight from the database."""
    log = node.log
    size = log.size()
    data = log.entries(0, size)
    assert len(data) == size, f"log_state says {size} entries, {len(data)} are stored"
    for d in data:
        Entry.from_bytes(d)  # every entry parses (and is canonical)
    # the log is the event store's chain events in notification order, possibly trailing it
    feed = node.app.read_feed(0, 10**9)
    assert size <= len(feed), f"{size} log entries but {len(feed)} chain events"
    assert [d for _, d in feed[:size]] == data, "the log is not a prefix of the chain events"
    assert log.source_position() == (feed[size - 1][0] if size else 0)
    # the root of all entries is the latest signed checkpoint; every checkpoint is a prefix
    tree = MemoryTree()
    for d in data:
        tree.append(d)
    latest = log.latest_checkpoint()
    signed = open_checkpoint(latest.note, seeded.verifier)
    assert (signed.size, signed.root) == (latest.size, latest.root)
    assert (latest.size, latest.root) == (size, tree.root()), "latest checkpoint ≠ the entries"
    with node.engine.connect() as conn:
        rows = conn.execute(select(log_checkpoints).order_by(log_checkpoints.c.size)).all()
    # a running server's projection worker may move on between these reads: rows are read
    # between two readings of the positions (each batch and its position commit together)
    before = node.projections.positions()
    with node.engine.connect() as conn:
        projected = conn.execute(
            select(read_entries.c.log_index, read_entries.c.entry_hash).order_by(
                read_entries.c.log_index
            )
        ).all()
    after = node.projections.positions()
    for row in rows:
        cp = open_checkpoint(row.note, seeded.verifier)
        assert (cp.size, cp.root) == (row.size, bytes(row.root))
        assert cp.root == tree.root(cp.size), f"checkpoint {cp.size} is not a prefix of the log"
    # every acknowledged entry is where its receipt says, and the receipt verifies offline
    for r in receipts:
        index = r["log_index"]
        assert index < size, f"acknowledged entry {index} lost (log size {size})"
        assert entry_hash(data[index]) == r["entry_hash"], f"entry {index} is not the receipt's"
        verify_inclusion(data[index], r["inclusion_proof"], seeded.verifier)
        promise = Promise.open(r["promise"], seeded.verifier)
        assert (promise.index, promise.entry_hash, promise.version) == (
            index,
            r["entry_hash"],
            r["version"],
        )
    # read models: never beyond the checkpoint; read_entries is exactly the log up to its position
    assert all(p <= latest.size for p in after.values()), (after, latest.size)
    assert before["entries"] <= len(projected) <= after["entries"], (before, len(projected), after)
    expected = [(i, entry_hash(data[i])) for i in range(len(projected))]
    assert [(int(i), h) for i, h in projected] == expected, "read_entries ≠ the log's entries"
    return LogState(data, len(feed))


def occurrences(data: Sequence[bytes]) -> Counter[str]:
    """How often each envelope payload is in the log."""
    return Counter(str(orjson.loads(d)["envelope"]["payload"]) for d in data)


def wait_for_projections(node: LedgerNode, server: Server, timeout: float = 60) -> None:
    """Until the server's projection worker has caught up with the latest checkpoint."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        target = node.log.latest_checkpoint().size
        if all(p == target for p in node.projections.positions().values()):
            return
        time.sleep(0.1)
    pytest.fail(f"projections stuck at {node.projections.positions()}:\n{server.output_tail()}")


def verify_offline(seeded: Seeded, state: LogState, node: LedgerNode) -> None:
    checkpoint = open_checkpoint(node.log.latest_checkpoint().note, seeded.verifier)
    report = verify_log(enumerate(state.data), checkpoint, seeded.anchor)
    assert report.ok, str(report.problem)
    assert report.size == report.reaccepted == state.size


# --------------------------------------------------------------------------------------------
# the scenario
# --------------------------------------------------------------------------------------------


@dataclass
class Heads:
    """Each elevator's chain head in the event store while the server is down."""

    version: dict[str, int]
    head: dict[str, str | None]

    @classmethod
    def read(cls, node: LedgerNode, codes: Sequence[str]) -> Heads:
        version: dict[str, int] = {}
        head: dict[str, str | None] = {}
        for c in codes:
            elevator = node.app.elevator(c)
            assert elevator is not None
            version[c], head[c] = elevator.version, elevator.head
        return cls(version, head)


def post(client: httpx.Client, envelope: bytes) -> httpx.Response:
    return client.post("/v1/statements", content=envelope, headers=JSON)


def crash_rounds(seeded: Seeded, kills: Sequence[Moment], full_verify_every: int = 1) -> None:
    """Stream, kill, check the stopped store, restart, check the resumed ledger; repeat."""
    print(f"LEDGER_CRASH_SEED={SEED}")
    receipts: list[dict[str, Any]] = []
    server = start_server(seeded.home, seeded.url)
    try:
        for number, moment in enumerate(kills, 1):
            envelopes = seeded.faults(POOL)
            began = time.perf_counter()
            stream = stream_and_kill(server, envelopes, moment)
            receipts += stream.acked.values()
            why = (
                f"kill {number}, {moment.label} (after {moment.acks} acks + {moment.delay} s; "
                f"LEDGER_CRASH_SEED={SEED})"
            )

            # the server is down: what did it leave behind?
            node = open_node(seeded.settings)
            try:
                stopped = check_store(node, seeded, receipts)
                heads = Heads.read(node, seeded.codes)
            finally:
                node.close()

            server = start_server(seeded.home, seeded.url)
            with httpx.Client(base_url=server.url, timeout=60) as client:
                # submissions resume: the next version of the chain, linked to its head
                elevator = seeded.codes[number % len(seeded.codes)]
                response = post(client, seeded.fault_bytes(elevator))
                assert response.status_code == 201, (why, response.text)
                fresh = response.json()
                assert fresh["version"] == heads.version[elevator] + 1, why
                receipts.append(fresh)
                # what was in flight is in the log already (a replay) or accepted now, once
                for i in sorted(stream.unanswered):
                    response = post(client, envelopes[i])
                    assert response.status_code in (200, 201), (why, response.text)
                    receipts.append(response.json())

            node = open_node(seeded.settings)
            try:
                resumed = check_store(node, seeded, receipts)
                assert resumed.size == resumed.chain_events, f"{why}: log trails the event store"
                linked = Entry.from_bytes(resumed.data[fresh["log_index"]]).prev
                assert linked == heads.head[elevator], why
                seen = occurrences(resumed.data)
                sent = [*stream.acked, *stream.unanswered]
                assert all(seen[payload_of(envelopes[i])] == 1 for i in sent), why
                assert sum(seen[payload_of(e)] for e in envelopes) == len(sent), why
                wait_for_projections(node, server)
                check_store(node, seeded, [])  # read_entries now holds every entry
                if number % full_verify_every == 0 or number == len(kills):
                    verify_offline(seeded, resumed, node)
            finally:
                node.close()
            print(
                f"{why}: {len(stream.acked)} acknowledged, {len(stream.unanswered)} in flight, "
                f"{stopped.chain_events - stopped.size} saved but not integrated at the kill; "
                f"log {resumed.size} entries; round {time.perf_counter() - began:.1f} s"
            )
    finally:
        server.stop()


def export_and_verify(seeded: Seeded, tmp: Path) -> str:
    """``elevator-ledger export`` then ``elevator-ledger verify`` as an auditor would."""
    env = server_env(seeded.home, seeded.url)
    out = tmp / "export"
    exported = subprocess.run(
        cli_command("export", str(out)), env=env, capture_output=True, text=True, timeout=300
    )
    assert exported.returncode == 0, exported.stderr
    verified = subprocess.run(
        cli_command(
            "verify",
            str(out),
            "--trust",
            str(seeded.settings.trust_path),
            "--state",
            str(tmp / "seen-checkpoints.json"),
        ),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verified.returncode == 0, verified.stderr
    return verified.stdout


@pytest.fixture
def seeded(tmp_path: Path, database_url: str) -> Seeded:
    return seed_ledger(tmp_path / "home", database_url)


def test_kill_minus_nine_mid_stream_loses_nothing_acknowledged(
    seeded: Seeded, tmp_path: Path
) -> None:
    crash_rounds(seeded, moments(random.Random(SEED), 3))
    node = open_node(seeded.settings)
    try:
        size = node.log.size()
    finally:
        node.close()
    report = export_and_verify(seeded, tmp_path)
    assert f": {size} entries, root " in report, report


@pytest.mark.slow
def test_kill_minus_nine_soak(seeded: Seeded, tmp_path: Path) -> None:
    rounds = int(os.environ.get("LEDGER_CRASH_ROUNDS", "15"))
    crash_rounds(seeded, moments(random.Random(SEED), rounds), full_verify_every=5)
    export_and_verify(seeded, tmp_path)
