"""Ctrl-C during ``elevator-ledger verify --workers 2`` stops the verification and every worker
process it started: none is left running, and none prints a traceback of its own.

The CLI runs as a real process in a session of its own; Ctrl-C is SIGINT to that whole
process group, as a terminal sends it. So that the interrupt lands while the replay's workers
are up and waiting for work, ``entries.jsonl`` is a named pipe the test feeds: part of the log,
then nothing; the workers are up once each waits on its socket to the CLI (Linux's
``/proc/<pid>/wchan``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from domain.model.roles import Role
from tests.support.city import NOW, City, statement
from tests.support.processes import children, eventually, running

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")

CODES = [f"3110230102015{serial:05d}" for serial in range(201, 206)]
MADE = NOW - timedelta(days=1)


def waiting_on_a_socket(pid: int) -> bool:
    try:
        return "unix_stream_read" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def database_url(home: Path) -> str:
    return f"sqlite:///{home / 'ledger.db'}"


@pytest.fixture
def export(tmp_path: Path) -> Iterator[tuple[Path, Path, list[bytes]]]:
    """A small ledger's home, its export, and the lines of the export's entries.jsonl."""
    city = City.open(tmp_path, database_url(tmp_path))
    maker = city.org(Role.MANUFACTURER)
    for code in CODES:
        made = statement(
            "elevator.manufactured", code, maker, MADE, manufactured_on=MADE.date().isoformat()
        )
        city.say(maker, made)
    city.node.close()
    env = {"LEDGER_HOME": str(tmp_path), "LEDGER_DATABASE_URL": database_url(tmp_path)}
    out = tmp_path / "export"
    assert CliRunner().invoke(app, ["export", str(out)], env=env).exit_code == 0
    yield tmp_path, out, (out / "entries.jsonl").read_bytes().splitlines(keepends=True)


def test_ctrl_c_stops_the_verification_and_its_workers(
    export: tuple[Path, Path, list[bytes]],
) -> None:
    home, out, lines = export
    entries = out / "entries.jsonl"
    entries.unlink()
    os.mkfifo(entries)
    release = threading.Event()

    def feed() -> None:  # part of the log, then silence until the test is done
        with entries.open("wb") as fifo:
            fifo.writelines(lines[: len(lines) // 2])
            fifo.flush()
            release.wait(120)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    env = {
        **os.environ,
        "LEDGER_HOME": str(home),
        "LEDGER_DATABASE_URL": database_url(home),
        "PYTHONUNBUFFERED": "1",
    }
    command = ["verify", str(out), "--state", str(home / "seen.json"), "--workers", "2"]
    cli = subprocess.Popen(
        [sys.executable, "-m", "api.cli", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a process group of its own, like a terminal's job
    )
    try:
        workers: set[int] = set()

        def workers_up() -> bool:
            workers.clear()
            for child in children(cli.pid):
                workers.update(children(child))  # the fork server's children
            return len(workers) == 2 and all(waiting_on_a_socket(pid) for pid in workers)

        assert eventually(workers_up, within=60.0), f"the replay's workers never started: {workers}"
        os.killpg(cli.pid, signal.SIGINT)  # Ctrl-C
        _, stderr = cli.communicate(timeout=60)
    finally:
        release.set()
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert cli.returncode != 0
    assert eventually(lambda: not any(running(pid) for pid in workers), within=60.0), workers
    assert b"Traceback" not in stderr, stderr.decode()
