"""``elevator-ledger serve`` follows the log into the read models in a child process.

- what a POST accepts shows on the public read endpoints within seconds, though no thread of
  the server applies it: the server's descendants include one process using the database (the
  pools' workers never open it), and that process is not the server;
- that process killed, the next commit starts another (the server says so), and the read
  models catch up again.

That the child ends with the server (SIGTERM, SIGINT, kill -9) is checked with the pools'
workers in test_serve_shutdown.py.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import Proc, descendants_holding, eventually, proc
from tests.support.seeded import Seeded, seed
from tests.support.servers import Server, start_server

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")

CODES = [f"3110230102016{serial:05d}" for serial in range(401, 403)]


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    return seed(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", CODES)


@pytest.fixture
def server(seeded: Seeded) -> Iterator[Server]:
    started = start_server(seeded.home, seeded.url)
    try:
        yield started
    finally:
        started.stop()


def projection_process(server: Server, seeded: Seeded, within: float = 15) -> Proc:
    """The one process under the server that has its database open."""
    database = seeded.home / "ledger.db"
    found: list[Proc] = []

    def one() -> bool:
        found[:] = descendants_holding(server.pid, database)
        return len(found) == 1

    assert eventually(one, within=within), (
        f"processes under {server.pid} using {database}: {found}\n{server.output_tail()}"
    )
    return found[0]


def submit_fault(client: httpx.Client, seeded: Seeded, code: str) -> dict[str, Any]:
    response = client.post(
        "/v1/statements",
        content=seeded.fault_bytes(code),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 201, response.text[:500]
    receipt: dict[str, Any] = response.json()
    return receipt


def shown(client: httpx.Client, code: str, receipt: dict[str, Any], open_faults: int) -> bool:
    """Whether the read models show the receipt's entry: the elevator's newest entry (the
    entries model) and its count of open faults (the elevators model, which reads the chain
    through the eventsourcing application)."""
    entries = client.get(f"/v1/elevators/{code}/entries", params={"limit": 1}).json()
    newest = entries.get("entries") or [{}]
    if newest[0].get("entry_hash") != receipt["entry_hash"]:
        return False
    status = client.get(f"/v1/elevators/{code}").json()
    return bool(status["status"]["open_faults"] == open_faults)


def test_the_read_models_follow_the_log_in_a_child_process(server: Server, seeded: Seeded) -> None:
    child = projection_process(server, seeded)
    assert child.pid != server.pid
    code = CODES[0]
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for n in (1, 2):
            receipt = submit_fault(client, seeded, code)
            assert eventually(partial(shown, client, code, receipt, n), within=10), (
                server.output_tail()
            )
    later = projection_process(server, seeded)
    assert (later.pid, later.started) == (child.pid, child.started)  # the same one all along


def test_a_killed_projection_process_is_started_again(server: Server, seeded: Seeded) -> None:
    first = projection_process(server, seeded)
    os.kill(first.pid, signal.SIGKILL)

    def gone() -> bool:
        now = proc(first.pid)
        return now is None or now.started != first.started or now.state == "Z"

    assert eventually(gone, within=10)
    code = CODES[1]
    with httpx.Client(base_url=server.url, timeout=30) as client:
        receipt = submit_fault(client, seeded, code)  # its commit nudges: a dead child restarts
        assert eventually(lambda: shown(client, code, receipt, 1), within=20), server.output_tail()
    second = projection_process(server, seeded)
    assert (second.pid, second.started) != (first.pid, first.started)
    assert "starting another" in server.output_tail(200), server.output_tail(200)
    assert server.alive()
