"""Worker processes never outlive the process that started them, even when it is killed with
``kill -9`` and no shutdown code runs: the idle workers of the signature checks' and the
receipt signer's pools, a shard's worker busy with a message, the fork server that forked
them and the resource tracker all exit within seconds."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.processes import Proc, descendants, eventually, left_behind

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")

REPO = Path(__file__).resolve().parents[3]

#: the parent: the signature checks' pool and the receipt signer's, each with an idle worker,
#: and a shard busy for an hour; then it waits
PARENT = f"""
import time
from ledger.keys import SigningKey
from ledger.note import NoteSigner
from ledger.parallel import ParallelVerifier, Shards
from ledger.receipt import Promise, PromiseSigner
from {__name__} import Sleeper
key = SigningKey.generate()
check = (key.algorithm, key.verifying_key.public, b"m", key.sign(b"m"))
verifier = ParallelVerifier(1)
assert [f.result() for f in verifier.submit([check])] == [[True]]
promise = Promise("origin", "00" * 32, 0, "elevator:1", 1, "2025-01-01T00:00:00Z")
signer = PromiseSigner(NoteSigner("origin", key), parallel_from=1)
assert signer.start([promise])()
shards = Shards(Sleeper, [None])
shards.submit([3600])
print("ready", flush=True)
time.sleep(3600)
"""


class Sleeper:
    """A shard's worker that sleeps as long as it is told."""

    def __init__(self, config: None) -> None:
        pass

    def handle(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        pass


def test_workers_and_the_fork_server_exit_when_their_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT],
        cwd=REPO,
        stdout=subprocess.PIPE,
        start_new_session=True,  # a group of its own: whatever is left of it is killed below
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline() == b"ready\n"
        tree = descendants(parent.pid)
        forkserver = [p for p in tree if p.ppid == parent.pid and "forkserver" in p.command]
        workers = [p for p in tree if p.ppid in {f.pid for f in forkserver}]
        assert len(workers) == 3, "\n".join(map(str, tree))
        parent.kill()
        parent.wait(timeout=30)
        leftovers: list[Proc] = []

        def all_gone() -> bool:
            leftovers[:] = left_behind(parent.pid, tree)
            return not leftovers

        assert eventually(all_gone, within=10), "\n".join(map(str, leftovers))
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)
