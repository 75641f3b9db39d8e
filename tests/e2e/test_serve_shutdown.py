"""``elevator-ledger serve`` leaves no process behind when it stops: not its pools' worker
processes, not multiprocessing's fork server, not its resource tracker.

The server runs in a session of its own with a seeded ledger; a batch of signed fault reports
large enough to start both process pools (the signature checks' and the receipt signer's) goes
in first, and the read models' process (the one descendant with the database open) is running
beside them. Then the server alone gets a signal:

- SIGTERM or SIGINT: it shuts down, and within a few seconds nothing that traces back to it
  (its descendants, its session and process group, where orphans stay once init adopts them)
  is still running;
- SIGKILL (``kill -9``, as the crash tests do, over and over): no shutdown code runs, so the
  workers and the fork server must notice on their own that the server is gone, and exit
  within ~10 s.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support.processes import (
    Proc,
    descendants,
    descendants_holding,
    eventually,
    left_behind,
)
from tests.support.seeded import Seeded, seed
from tests.support.servers import REPO, Server, free_port, serve_command, server_env

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")

CODES = [f"3110230102016{serial:05d}" for serial in range(301, 305)]
BATCH = 250  # signed statements: well over what is checked and signed inline
FORKSERVER = "multiprocessing.forkserver"


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    return seed(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", CODES)


@pytest.fixture
def server(seeded: Seeded) -> Iterator[Server]:
    """``serve`` in a session (and process group) of its own; whatever is left of that group is
    killed at the end, so that a failing test leaves nothing running either."""
    port = free_port()
    logs = seeded.home / "server-logs"
    logs.mkdir()
    output = logs / f"server-{port}.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            serve_command(port),
            env=server_env(seeded.home, seeded.url),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = Server(seeded.home, seeded.url, port, process, output, "server", "elevator-ledger")
    try:
        started.wait_ready()
        yield started
    finally:
        if started.alive():
            started.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(started.pid, signal.SIGKILL)  # the group the test started, if any is left


def start_the_pools(server: Server, seeded: Seeded) -> list[Proc]:
    """Submit one large batch; the server's processes once it is accepted (the pools' workers
    among them, children of the fork server, and the projection process)."""
    projections: list[Proc] = []

    def following() -> bool:  # the projection process has opened the database
        projections[:] = descendants_holding(server.pid, seeded.home / "ledger.db")
        return len(projections) == 1

    assert eventually(following, within=15), f"projection processes: {projections}"
    with httpx.Client(base_url=server.url, timeout=120) as client:
        response = client.post(
            "/v1/statements/batch",
            content=orjson.dumps([orjson.loads(e) for e in seeded.faults(BATCH)]),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 200, response.text[:500]
    assert response.json()["accepted"] == BATCH, response.text[:500]
    tree = descendants(server.pid)
    forkservers = [p for p in tree if p.ppid == server.pid and FORKSERVER in p.command]
    workers = [p for p in tree if p.ppid in {f.pid for f in forkservers}]
    assert len(workers) >= 2, "the batch did not start both pools:\n" + "\n".join(map(str, tree))
    named = {(p.pid, p.started) for p in tree}
    assert (projections[0].pid, projections[0].started) in named, (
        f"{projections[0]} is gone:\n" + "\n".join(map(str, tree))
    )
    return tree


def report(server: Server, leftovers: list[Proc]) -> str:
    return (
        f"left running after server {server.pid} ended:\n"
        + "\n".join(map(str, leftovers))
        + f"\n--- the server's output:\n{server.output_tail()}"
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_server_leaves_no_process_behind(
    server: Server, seeded: Seeded, stop: signal.Signals
) -> None:
    tree = start_the_pools(server, seeded)
    os.kill(server.pid, stop)  # the server alone, as a process manager would
    server.process.wait(timeout=60)
    assert server.process.returncode == 0, server.output_tail()  # past node.close()
    leftovers: list[Proc] = []

    def all_gone() -> bool:
        leftovers[:] = left_behind(server.pid, tree)
        return not leftovers

    assert eventually(all_gone, within=5), report(server, leftovers)
    assert "Traceback" not in server.output_tail(400), server.output_tail(400)


def test_a_killed_servers_workers_and_fork_server_exit_on_their_own(
    server: Server, seeded: Seeded
) -> None:
    tree = start_the_pools(server, seeded)
    server.kill()  # kill -9: no shutdown code runs
    leftovers: list[Proc] = []

    def all_gone() -> bool:
        leftovers[:] = left_behind(server.pid, tree)
        return not leftovers

    assert eventually(all_gone, within=10), report(server, leftovers)
