"""Several processes submitting to the same elevators at once: no chain ever forks, no
acknowledged entry is lost, and every accepted entry is in the log exactly once."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import timedelta
from pathlib import Path

from api.bootstrap import initialise
from api.settings import Settings
from domain.application.aggregates import Elevator
from domain.model.roles import Role
from domain.model.signing import sign_statement
from ledger import merkle
from ledger.entry import Entry, entry_hash
from ledger.keys import SigningKey
from tests.support.city import NOW, City, statement

ELEVATORS = ["311023010201500101", "311023010201500102", "311023010201500103"]
PROCESSES, PER_PROCESS = 4, 15


def _writer(
    home: str, url: str, uscc: str, private: bytes, buyer: str, worker: int
) -> list[tuple[str, int]]:
    """One process: its own node, submitting sales round-robin over the shared elevators."""
    node, _ = initialise(Settings(home=Path(home), database_url=url))
    key = SigningKey.from_raw(private)
    acknowledged = []
    try:
        for i in range(PER_PROCESS):
            code = ELEVATORS[i % len(ELEVATORS)]
            when = NOW - timedelta(hours=worker * 100 + i + 1)
            stmt = {  # a sale: accepted from its manufacturer whenever dated after manufacture,
                # so the writers' statements, dated out of order, also take the occurred axis
                "type": "elevator.sold",
                "elevator": code,
                "issuer": uscc,
                "occurred_at": when.isoformat(),
                "data": {
                    "buyer": buyer,
                    "buyer_name": "并发买方",
                    "contract_number": f"XS-{worker}-{i}",
                },
            }
            receipt = node.service.submit(sign_statement(stmt, [key]).to_json())
            acknowledged.append((receipt.entry_hash, receipt.log_index))
    except Exception as exc:  # an exception the pool cannot pickle would hang starmap
        raise RuntimeError(f"writer {worker}: {exc!r}") from None
    finally:
        node.close()
    return acknowledged


def test_concurrent_processes_never_fork_or_lose_entries(tmp_path: Path, database_url: str) -> None:
    city = City.open(tmp_path, database_url)
    maker = city.org(Role.MANUFACTURER)
    maintainer = city.org(Role.MAINTENANCE_UNIT)
    for code in ELEVATORS:
        city.say(
            maker,
            statement(
                "elevator.manufactured",
                code,
                maker,
                NOW - timedelta(days=90),
                manufactured_on=(NOW - timedelta(days=90)).date().isoformat(),
            ),
        )
    city.node.close()

    ctx = multiprocessing.get_context("spawn")
    args = [
        (str(tmp_path), database_url, maker.uscc, maker.key.private, maintainer.uscc, w)
        for w in range(PROCESSES)
    ]
    with ctx.Pool(PROCESSES) as pool:
        acknowledged = [a for result in pool.starmap(_writer, args) for a in result]
    assert len(acknowledged) == PROCESSES * PER_PROCESS

    node, _ = initialise(Settings(home=tmp_path, database_url=database_url))
    try:
        size = node.log.size()
        entries = node.log.entries(0, size)
        hashes = [entry_hash(e) for e in entries]
        assert len(set(hashes)) == size  # every entry exactly once
        for ehash, index in acknowledged:  # nothing acknowledged is lost, and it is where we said
            assert hashes[index] == ehash
        tree = merkle.MemoryTree()
        for e in entries:
            tree.append(e)
        assert node.log.latest_checkpoint().root == tree.root(node.log.latest_checkpoint().size)

        by_subject: dict[str, list[Entry]] = {}
        for e in entries:
            parsed = Entry.from_bytes(e)
            by_subject.setdefault(parsed.subject, []).append(parsed)
        for code in ELEVATORS:  # each chain: versions 1..n in log order, each linked to the last
            chain = by_subject[f"elevator:{code}"]
            assert [c.version for c in chain] == list(range(1, len(chain) + 1))
            prev = None
            for c in chain:
                assert c.prev == prev
                prev = entry_hash(c.to_bytes())
            aggregate: Elevator = node.app.repository.get(Elevator.create_id(code))
            assert (aggregate.version, aggregate.head) == (len(chain), prev)
        counts = Counter(e.subject for chain in by_subject.values() for e in chain)
        assert sum(counts[f"elevator:{c}"] for c in ELEVATORS) == 3 + PROCESSES * PER_PROCESS
    finally:
        node.close()
