"""Three ``elevator-ledger serve`` processes on one PostgreSQL database, written to at once.

A small ledger (a manufacturer, a maintenance unit, three manufactured elevators) is seeded
in-process; three servers start together on it (their start-ups overlap: migrations and the
event store's tables under advisory locks). Client threads spread over the servers submit
signed fault reports about the same three elevators, while a sampler reads the latest
checkpoint from every server in turn and, during the run, checks each against the one before
with a consistency proof served by the newer one. Afterwards:

- no chain forked: each subject's entries have versions 1..n in log order, each ``prev`` the
  hash of the entry before;
- every acknowledged receipt is in the log exactly once, where it says, and verifies offline;
  nothing refused is in the log; the log holds every chain event of the event store;
- every signed checkpoint (``log_checkpoints``, every sample, every receipt's) is a prefix of
  the final log, and consecutive sampled ones are consistent by the servers' own proofs
  (``/v1/log/proof/consistency`` + :func:`ledger.merkle.verify_consistency`);
- the read models (three projection workers on the same tables) end with exactly the log's
  entries, and the offline verifier passes.

PostgreSQL only (``postgres_url``): it skips without a server, and fails instead under
``LEDGER_REQUIRE_POSTGRES=1`` as in CI.
"""

from __future__ import annotations

import base64
import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
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
from ledger.merkle import MemoryTree, ProofError, verify_consistency
from ledger.note import NoteError, NoteVerifier, open_checkpoint
from ledger.receipt import Promise, verify_inclusion
from ledger.schema import log_checkpoints
from projections.schema import entries as read_entries
from tests.support.seeded import Seeded, seed
from tests.support.servers import Server, start_servers, stop_all

pytestmark = pytest.mark.postgres

SERVERS = 3
CLIENTS = 8
PER_CLIENT = 30
ELEVATORS = 3
JSON = {"content-type": "application/json"}


# --------------------------------------------------------------------------------------------
# the ledger under test
# --------------------------------------------------------------------------------------------


@pytest.fixture
def seeded(tmp_path: Path, postgres_url: str) -> Seeded:
    codes = [f"31102301020170{i:04d}" for i in range(ELEVATORS)]
    return seed(tmp_path / "home", postgres_url, codes)


@pytest.fixture
def servers(seeded: Seeded) -> Iterator[list[Server]]:
    started = start_servers(seeded.home, seeded.url, SERVERS)
    try:
        yield started
    finally:
        stop_all(started)


def payload(envelope: dict[str, Any]) -> str:
    return str(envelope["payload"])


# --------------------------------------------------------------------------------------------
# checkpoints sampled from every server while the clients write
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    server: int
    at: float
    size: int
    root: bytes
    note: str


class CheckpointSampler:
    """Reads ``GET /v1/log/checkpoint`` from each server in turn. Each sample must verify
    under the log key, never be smaller than the sample before (one database, one log), and be
    consistent with it: same root at the same size, otherwise a consistency proof served by
    the newer sample's server must verify. Problems are collected, not raised, so the run
    goes on; the test asserts there are none."""

    def __init__(self, servers: Sequence[Server], verifier: NoteVerifier) -> None:
        self.servers, self.verifier = servers, verifier
        self.samples: list[Sample] = []
        self.problems: list[str] = []
        self.proofs_checked = 0  # consistency proofs between different servers' checkpoints
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> CheckpointSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        clients = [httpx.Client(base_url=s.url, timeout=30) for s in self.servers]
        try:
            for k in itertools.cycle(range(len(clients))):
                if self._stop.is_set():
                    return
                try:
                    self.sample(k, clients)
                except (httpx.HTTPError, NoteError, ValueError) as exc:
                    self.problems.append(f"server {k}: {exc!r}")
                time.sleep(0.01)
        finally:
            for c in clients:
                c.close()

    def sample(self, k: int, clients: Sequence[httpx.Client]) -> Sample:
        response = clients[k].get("/v1/log/checkpoint")
        response.raise_for_status()
        cp = open_checkpoint(response.text, self.verifier)
        new = Sample(k, time.monotonic(), cp.size, cp.root, response.text)
        if self.samples:
            old = self.samples[-1]
            if new.size < old.size:
                self.problems.append(f"checkpoint went back from {old.size} to {new.size}")
            elif new.size == old.size:
                if new.root != old.root:
                    self.problems.append(f"two roots for size {new.size}")
            elif old.size > 0:
                query = {"old": old.size, "size": new.size}
                proof = clients[k].get("/v1/log/proof/consistency", params=query)
                proof.raise_for_status()
                hashes = [base64.b64decode(h) for h in proof.json()["proof"]]
                try:
                    verify_consistency(old.size, new.size, old.root, new.root, hashes)
                except ProofError as exc:
                    self.problems.append(f"{old.size} → {new.size} from server {k}: {exc}")
                if old.server != k:
                    self.proofs_checked += 1
        self.samples.append(new)
        return new


# --------------------------------------------------------------------------------------------
# clients
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Acked:
    server: int  # which server acknowledged it
    envelope: dict[str, Any]
    receipt: dict[str, Any]


@dataclass
class Results:
    acked: list[Acked] = field(default_factory=list)
    refused: list[tuple[dict[str, Any], int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def single_client(
    servers: Sequence[Server], k: int, envelopes: Sequence[dict[str, Any]], results: Results
) -> None:
    """POST each envelope to server ``k``, one at a time (status 0: no answer)."""
    with httpx.Client(base_url=servers[k].url, timeout=120) as client:
        for envelope in envelopes:
            try:
                response = client.post(
                    "/v1/statements", content=orjson.dumps(envelope), headers=JSON
                )
            except httpx.TransportError as exc:
                with results.lock:
                    results.refused.append((envelope, 0, repr(exc)))
                continue
            with results.lock:
                if response.status_code == 201:
                    results.acked.append(Acked(k, envelope, response.json()))
                else:
                    results.refused.append((envelope, response.status_code, response.text[:300]))


def run_clients(
    servers: Sequence[Server], work: Sequence[tuple[int, list[dict[str, Any]]]], results: Results
) -> float:
    """One thread per (server number, envelopes); the seconds until all are done."""
    threads = [
        threading.Thread(target=single_client, args=(servers, k, envelopes, results))
        for k, envelopes in work
    ]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a client hangs"
    return time.monotonic() - began


# --------------------------------------------------------------------------------------------
# the final log
# --------------------------------------------------------------------------------------------


def check_chains(data: Sequence[bytes]) -> dict[str, int]:
    """No fork: per subject, versions 1..n in log order, each prev the hash before."""
    heads: dict[str, tuple[int, str]] = {}
    for index, d in enumerate(data):
        e = Entry.from_bytes(d)
        version, head = heads.get(e.subject, (0, None))
        assert e.version == version + 1, f"entry {index}: {e.subject} v{e.version} after v{version}"
        assert e.prev == head, f"entry {index}: {e.subject} v{e.version} does not link"
        heads[e.subject] = (e.version, entry_hash(d))
    return {subject: version for subject, (version, _) in heads.items()}


def check_receipt(data: Sequence[bytes], receipt: dict[str, Any], verifier: NoteVerifier) -> None:
    index = receipt["log_index"]
    assert index < len(data), f"acknowledged entry {index} is not in the log"
    assert entry_hash(data[index]) == receipt["entry_hash"], f"entry {index} is not the receipt's"
    entry = Entry.from_bytes(data[index])
    assert (entry.subject, entry.version) == (receipt["subject"], receipt["version"])
    verify_inclusion(data[index], receipt["inclusion_proof"], verifier)
    promise = Promise.open(receipt["promise"], verifier)
    assert (promise.index, promise.entry_hash) == (index, receipt["entry_hash"])


def wait_for_projections(node: LedgerNode, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    target = node.log.latest_checkpoint().size
    while time.monotonic() < deadline:
        if all(p == target for p in node.projections.positions().values()):
            return
        time.sleep(0.1)
    pytest.fail(f"projections stuck at {node.projections.positions()}, checkpoint {target}")


def consistency_by_servers(
    servers: Sequence[Server], pairs: Sequence[tuple[Sample, Sample]]
) -> int:
    """Verify each (older, newer) pair with a proof from the servers, in turn."""
    clients = [httpx.Client(base_url=s.url, timeout=30) for s in servers]
    try:
        for n, (old, new) in enumerate(pairs):
            response = clients[n % len(clients)].get(
                "/v1/log/proof/consistency", params={"old": old.size, "size": new.size}
            )
            assert response.status_code == 200, response.text
            proof = [base64.b64decode(h) for h in response.json()["proof"]]
            verify_consistency(old.size, new.size, old.root, new.root, proof)
    finally:
        for c in clients:
            c.close()
    return len(pairs)


# --------------------------------------------------------------------------------------------
# the test
# --------------------------------------------------------------------------------------------


def test_three_servers_one_database_one_log(seeded: Seeded, servers: list[Server]) -> None:
    codes = seeded.codes
    work = [
        (i % SERVERS, [seeded.fault(codes[(i + j) % ELEVATORS]) for j in range(PER_CLIENT)])
        for i in range(CLIENTS)
    ]
    results = Results()
    with CheckpointSampler(servers, seeded.verifier) as sampler:
        time.sleep(0.2)
        before = len(sampler.samples)
        seconds = run_clients(servers, work, results)
        during = sampler.samples[before:]
    with httpx.Client(timeout=30) as client:
        finals = [client.get(f"{s.url}/v1/log/checkpoint").text for s in servers]
    assert not sampler.problems, sampler.problems[:5]

    # what the clients heard: 201, or at worst a write conflict (503: nothing stored)
    statuses = Counter(status for _, status, _ in results.refused)
    assert set(statuses) <= {503}, results.refused[:3]
    assert len(results.acked) >= CLIENTS * PER_CLIENT * 0.9, statuses

    # the checkpoints were sampled from every server while the clients wrote, and grew
    assert {s.server for s in during} == set(range(SERVERS))
    assert len({s.size for s in during}) >= 3, "the sampler saw the log grow too few times"
    assert sampler.proofs_checked >= 2, "too few consistency proofs between servers mid-run"
    assert len(set(finals)) == 1, "servers disagree on the latest checkpoint after the run"

    node = open_node(seeded.settings)
    try:
        size = node.log.size()
        data = node.log.entries(0, size)
        assert len(data) == size
        feed = node.app.read_feed(0, 10**9)
        assert [d for _, d in feed] == data, "the log is not exactly the event store's chain events"
        versions = check_chains(data)
        for code in seeded.codes:
            assert versions[f"elevator:{code}"] >= 1

        # every acknowledged entry is in the log exactly once; nothing refused is in it
        seen = Counter(str(orjson.loads(d)["envelope"]["payload"]) for d in data)
        assert len({entry_hash(d) for d in data}) == size, "an entry is in the log twice"
        for a in results.acked:
            assert seen[payload(a.envelope)] == 1, a.receipt
            check_receipt(data, a.receipt, seeded.verifier)
        for envelope, _, _ in results.refused:
            assert seen[payload(envelope)] == 0, "a refused submission is in the log"

        # every signed checkpoint is a prefix of the final log
        tree = MemoryTree()
        for d in data:
            tree.append(d)
        final = open_checkpoint(finals[0], seeded.verifier)
        assert (final.size, final.root) == (size, tree.root())
        with node.engine.connect() as conn:
            rows = conn.execute(select(log_checkpoints).order_by(log_checkpoints.c.size)).all()
        for row in rows:
            cp = open_checkpoint(row.note, seeded.verifier)
            assert (cp.size, cp.root) == (row.size, bytes(row.root))
            assert cp.root == tree.root(cp.size), f"checkpoint {cp.size} is not a prefix"
        for note in {a.receipt["inclusion_proof"].split("\n\n", 1)[1] for a in results.acked}:
            cp = open_checkpoint(note, seeded.verifier)
            assert cp.root == tree.root(cp.size), f"a receipt's checkpoint {cp.size} forks"
        by_size = {(s.size, s.root): s for s in sampler.samples if s.size}
        distinct = sorted(by_size.values(), key=lambda s: s.size)
        assert len({s.size for s in distinct}) == len(distinct), "two roots for one size"
        for s in distinct:
            assert s.root == tree.root(s.size), f"sampled checkpoint {s.size} is not a prefix"
        # and by the servers' own proofs: consecutive sampled sizes, plus random other pairs
        rng = random.Random(size)
        pairs = list(itertools.pairwise(distinct))
        for _ in range(30 if len(distinct) > 2 else 0):
            older, newer = sorted(rng.sample(distinct, 2), key=lambda s: s.size)
            pairs.append((older, newer))
        consistency_by_servers(servers, pairs)

        # a replay through another server answers with the original receipt
        with httpx.Client(timeout=60) as client:
            for a in results.acked[:: max(1, len(results.acked) // 12)]:
                other = servers[(a.server + 1) % SERVERS]
                response = client.post(
                    f"{other.url}/v1/statements", content=orjson.dumps(a.envelope), headers=JSON
                )
                assert response.status_code == 200, response.text
                again = response.json()
                assert again["duplicate"] is True
                for key in ("entry_hash", "log_index", "subject", "version", "recorded_at"):
                    assert again[key] == a.receipt[key], key

        # read models: three workers follow the one log into the same tables
        wait_for_projections(node)
        with node.engine.connect() as conn:
            projected = conn.execute(
                select(read_entries.c.log_index, read_entries.c.entry_hash).order_by(
                    read_entries.c.log_index
                )
            ).all()
        expected = [(i, entry_hash(d)) for i, d in enumerate(data)]
        assert [(int(i), h) for i, h in projected] == expected, "read_entries ≠ the log"

        report = verify_log(enumerate(data), final, seeded.anchor)
        assert report.ok, str(report.problem)
        assert report.reaccepted == size
    finally:
        node.close()
    print(
        f"{len(results.acked)} acknowledged by {SERVERS} servers in {seconds:.1f} s "
        f"({dict(statuses)} refused); {len(sampler.samples)} checkpoints sampled "
        f"({len(during)} during the run, {sampler.proofs_checked} cross-server proofs then, "
        f"{len(pairs)} after); log {size} entries"
    )


# --------------------------------------------------------------------------------------------
# batches alongside single submissions
# --------------------------------------------------------------------------------------------

BATCH_CLIENTS, BATCHES, BATCH_SIZE = 6, 5, 20


def batch_client(
    server: Server,
    batches: Sequence[list[dict[str, Any]]],
    answers: list[str],
    lock: threading.Lock,
) -> None:
    """POST each batch; record one answer per envelope: "accepted", a problem type, or what
    went wrong with the request as a whole."""
    with httpx.Client(base_url=server.url, timeout=120) as client:
        for batch in batches:
            try:
                response = client.post("/v1/statements/batch", json=batch)
            except httpx.TransportError as exc:
                heard = [f"no answer: {exc!r}"] * len(batch)
            else:
                if response.status_code == 200:
                    heard = [
                        "accepted" if item["accepted"] else str(item["problem"]["type"])
                        for item in response.json()["results"]
                    ]
                else:
                    heard = [f"HTTP {response.status_code}"] * len(batch)
            with lock:
                answers.extend(heard)


def test_batches_alongside_single_submissions(seeded: Seeded, servers: list[Server]) -> None:
    codes = seeded.codes
    answers: list[str] = []
    lock = threading.Lock()
    batch_work = [
        [
            [seeded.fault(codes[(i + j + n) % ELEVATORS]) for n in range(BATCH_SIZE)]
            for j in range(BATCHES)
        ]
        for i in range(BATCH_CLIENTS)
    ]
    single_work = [(k, [seeded.fault(codes[j % ELEVATORS]) for j in range(20)]) for k in range(3)]
    results = Results()
    threads = [
        threading.Thread(target=batch_client, args=(servers[i % SERVERS], w, answers, lock))
        for i, w in enumerate(batch_work)
    ] + [
        threading.Thread(target=single_client, args=(servers, k, w, results))
        for k, w in single_work
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    problems: list[str] = []
    node = open_node(seeded.settings)
    try:
        data = node.log.entries(0, node.log.size())
        try:
            check_chains(data)
        except AssertionError as exc:
            problems.append(f"the log forks: {str(exc).splitlines()[0]}")
        for code in codes:
            try:
                node.app.elevator(code)
            except Exception as exc:
                problems.append(f"elevator {code} cannot be loaded: {exc!r}")
        events = len(node.app.read_feed(0, 10**9))
        if events != len(data):
            problems.append(f"{events} chain events, {len(data)} log entries")
    finally:
        node.close()
    # every envelope of every batch is answered, and accepted (fresh fault reports)
    wrong = Counter(a for a in answers if a != "accepted")
    if wrong:
        problems.append(f"{sum(wrong.values())} of {len(answers)} batch items: {dict(wrong)}")
    refused = Counter(status for _, status, _ in results.refused)
    if refused:
        problems.append(f"single submissions refused: {dict(refused)}")
    assert not problems, "\n".join(problems)
