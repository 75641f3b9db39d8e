"""Processes as Linux's ``/proc`` shows them, for tests that check what a server leaves running.

A process is named by its pid and start time (:class:`Proc`), so that a pid the kernel hands
out again to an unrelated process is never taken for the one seen before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Proc:
    pid: int
    started: int  # clock ticks after boot: with the pid, names the process for good
    ppid: int
    pgrp: int
    session: int
    state: str  # R, S, D, Z, ...
    command: str

    def __str__(self) -> str:
        return f"{self.pid} ({self.state}, parent {self.ppid}): {self.command}"


def proc(pid: int) -> Proc | None:
    """The process ``pid`` now, or None if there is none."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:  # ended meanwhile
        return None
    # the command name, in parentheses, may itself hold spaces and parentheses
    fields = stat.rsplit(")", 1)[1].split()
    command = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    return Proc(
        pid=pid,
        started=int(fields[19]),
        ppid=int(fields[1]),
        pgrp=int(fields[2]),
        session=int(fields[3]),
        state=fields[0],
        command=command[:200] or stat.split(" (", 1)[1].rsplit(")", 1)[0],
    )


def processes() -> dict[int, Proc]:
    """Every process now, by pid."""
    found = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (p := proc(int(entry.name))) is not None:
            found[p.pid] = p
    return found


def children(pid: int) -> set[int]:
    """The pids whose parent is ``pid`` now (zombies included)."""
    return {p.pid for p in processes().values() if p.ppid == pid}


def running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has)."""
    found = proc(pid)
    return found is not None and found.state != "Z"


def descends_from(p: Proc, ancestor: int, table: dict[int, Proc]) -> bool:
    """Whether ``ancestor`` is on ``p``'s chain of parents (as ``table`` has them)."""
    seen: set[int] = set()
    while p.pid not in seen:
        if p.ppid == ancestor:
            return True
        seen.add(p.pid)
        parent = table.get(p.ppid)
        if parent is None:
            return False
        p = parent
    return False


def descendants(pid: int) -> list[Proc]:
    """The living (not zombie) processes whose chain of parents leads to ``pid``."""
    table = processes()
    return [p for p in table.values() if p.state != "Z" and descends_from(p, pid, table)]


def left_behind(leader: int, seen: Iterable[Proc] = ()) -> list[Proc]:
    """The living processes that trace back to ``leader``: its descendants, any process still in
    its session or process group (where orphans stay after they are handed to init), and any
    of ``seen`` still running."""
    table = processes()
    known = {(p.pid, p.started) for p in seen}
    return sorted(
        (
            p
            for p in table.values()
            if p.state != "Z"
            and (
                leader in (p.session, p.pgrp)
                or (p.pid, p.started) in known
                or descends_from(p, leader, table)
            )
        ),
        key=lambda p: p.pid,
    )


def eventually(condition: Callable[[], bool], within: float, every: float = 0.05) -> bool:
    """Whether ``condition`` holds before ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)


def holds_open(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open (one of its file descriptors points to it)."""
    target = path.resolve()
    try:
        links = list((PROC / str(pid) / "fd").iterdir())
    except OSError:  # ended meanwhile, or not ours to read
        return False
    for link in links:
        try:
            if Path(link.readlink()) == target:
                return True
        except OSError:
            continue
    return False


def descendants_holding(pid: int, path: Path) -> list[Proc]:
    """The descendants of ``pid`` (not ``pid`` itself) that have ``path`` open: of a server's,
    the processes that use its database (its projection process), not the pools' workers."""
    return [p for p in descendants(pid) if holds_open(p.pid, path)]
