"""The elevator's file (一机一档) as the console shows it: what each section holds, read from the
read models and the log.

* identities — every identifier the elevator has had, when and by which entry
  (:func:`projections.elevator_file.identity_history`);
* responsibility — the timeline (:func:`projections.read.timeline`), each row with the
  organization's name and the entries opening and closing it;
* status — the QR page's badge and its notices (:func:`api.badge.badge`), the facts the page
  shows and every flag that holds, in the same words;
* open items — the replay at this instant, as the ledger knows it (:func:`replay_elevator` on
  the recorded axis: what the JSON replay serves), each open item and overdue obligation with
  the entries proving it, and each reason for the illegal-use list with its entries;
* history — every entry, a page at a time, with its signers, late mark, log index, hash and its
  inclusion proof to the latest checkpoint.
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from threading import Lock
from typing import Any

from api.badge import RETIRED, Badge, badge
from api.console.file_words import (
    IDENTIFIER_KIND_ZH,
    Claim,
    EntryLink,
    ReportWords,
    flags_zh,
    type_zh,
)
from api.elevator_replay import replay_elevator
from api.local_time import local_time, on_ledger_clock
from api.node import LedgerNode
from api.pages import (
    KIND_ZH,
    LEVEL_ZH,
    LIFECYCLE_ZH,
    MUST_NOT_RUN_ZH,
    ROLE_ZH,
    inspection_words,
    summary_zh,
    zone_label,
)
from domain.application.log_chains import ChainFault
from domain.model.identifiers import CATEGORY_NAMES_ZH
from domain.replay import Axis, Replay
from projections import read
from projections.elevator_file import entry_positions, identity_history
from projections.read import ElevatorView
from projections.status import illegal_use, inspection_obligation
from projections.worklists import ILLEGAL_USE_ZH

#: Entries per page of the history; "all" shows up to :data:`ALL_LIMIT` at once (to print).
PAGE_SIZE = 50
ALL_LIMIT = 2000


@dataclass(frozen=True)
class Fault:
    """A chain the log and its index disagree about (api/replay_routes.py's 409 chain-fault)."""

    subject: str
    version: int
    log_index: int | None
    message: str


def fault_of(exc: ChainFault) -> Fault:
    return Fault(exc.subject, exc.version, exc.log_index, str(exc))


class Names:
    """Organization names, looked up once per page for every code it shows."""

    def __init__(self, node: LedgerNode, usccs: set[str]) -> None:
        self.found = read.organization_names(node.engine, {u for u in usccs if u})

    def __call__(self, uscc: str | None) -> str:
        return self.found.get(uscc or "", "") if uscc else ""


def identities(node: LedgerNode, code: str) -> list[dict[str, Any]]:
    zone = node.settings.zone
    return [
        {
            "kind": IDENTIFIER_KIND_ZH.get(str(i.kind), str(i.kind)),
            "identifier": i.identifier,
            "since": i.since.isoformat(),
            "since_local": local_time(i.since, zone),
            "since_log_index": i.since_log_index,
            "since_type": type_zh(i.since_type),
            "until": i.until.isoformat() if i.until else None,
            "until_local": local_time(i.until, zone) if i.until else None,
            "until_log_index": i.until_log_index,
            "until_type": type_zh(i.until_type) if i.until_type else None,
            "now_names": i.now_names,
            "current": i.current,
        }
        for i in identity_history(node.engine, code)
    ]


def timeline(node: LedgerNode, code: str) -> list[dict[str, Any]]:
    """The responsibility intervals as the JSON API serves them, with Chinese role names and
    local times beside the instants."""
    zone = node.settings.zone
    return [
        {
            **row,
            "role_zh": ROLE_ZH.get(row["role"], row["role"]),
            "from_local": local_time(row["from"], zone),
            "to_local": local_time(row["to"], zone) if row["to"] else None,
        }
        for row in read.timeline(node.engine, code)
    ]


def badge_of(node: LedgerNode, view: ElevatorView) -> Badge:
    """The QR page's badge for the lift now (one precedence, :func:`api.badge.badge`): the file
    and the list of elevators both show this, so neither can say less than the car's page."""
    return badge(view.status, view.flags, node.now(), node.settings.zone)


def listed(node: LedgerNode, view: ElevatorView) -> dict[str, Any]:
    """What a row of the list of elevators says of the lift, in the file's words: the badge,
    the maintainer under a contract in force today (None: no contract in force), and whether
    it is retired (then nobody maintains it and nothing is due)."""
    s = view.status
    retired = s.lifecycle in RETIRED
    due = None if retired else inspection_obligation(s, node.today())
    return {
        "badge": badge_of(node, view),
        "retired": retired,
        "maintainer": None if retired else view.maintenance_unit_today,
        "maintenance_due": None if retired else s.next_maintenance_due,
        "inspection_due": due.due if due else None,
    }


def status(node: LedgerNode, view: ElevatorView) -> dict[str, Any]:
    """What the QR page says of the lift (its badge and facts), and every flag that holds."""
    s, today = view.status, node.today()
    due = inspection_obligation(s, today)
    lifecycle = (
        MUST_NOT_RUN_ZH if view.flags.get("must_not_run") else LIFECYCLE_ZH.get(s.lifecycle or "")
    )
    return {
        "s": s,
        "badge": badge_of(node, view),
        "lifecycle": lifecycle or "未知",
        "retired": s.lifecycle in RETIRED,
        "category": CATEGORY_NAMES_ZH.get(s.category or "", s.category or ""),
        "levels": [LEVEL_ZH.get(x, x) for x in s.last_maintenance_levels],
        "words": inspection_words(s.last_inspection_kind, s.next_inspection_kind),
        "inspection": None
        if due is None
        else {
            "kind": KIND_ZH.get(str(due.kind), str(due.kind)),
            "due": due.due.isoformat(),
            "year_of_use": due.year_of_use,
            "overdue": due.overdue,
            "suspended": due.suspended,
        },
        "maintenance_unit_today": view.maintenance_unit_today,
        "flags": flags_zh(view.flags, s.next_inspection_kind),
    }


@dataclass(frozen=True)
class OpenItems:
    """The open items and overdue obligations now, as the replay of the chain shows them."""

    overdue: list[Claim]
    items: list[Claim]
    illegal: list[Claim]
    fault: Fault | None = None
    problem: str | None = None  # the chain did not verify: the replay stopped before this

    @property
    def organizations(self) -> set[str]:
        return {c.organization for c in (*self.overdue, *self.items) if c.organization}


class RecentReplays:
    """The replays "now" of the files opened lately, so that reading a file twice re-verifies
    its chain once. Now, on the recorded axis, a replay counts every entry of the chain and
    its report reads only the date, so it is the same for the same chain head on the same
    day: the key is the read model's head (entry hash and count) and the ledger's date. A new
    entry, a new day or a head the read model has not folded yet is a new replay; a chain
    fault is never kept (it is found again on every view)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[int, str, str | None, int, date], Replay | None] = (
            OrderedDict()
        )
        self._lock = Lock()

    def get(self, node: LedgerNode, code: str, view: ElevatorView) -> Replay | None:
        today = node.today()
        key = (id(node), code, view.status.head, view.status.entries, today)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        now = on_ledger_clock(node.now(), node.settings.zone)
        result = replay_elevator(node, code, now, Axis.RECORDED)  # ChainFault: not kept
        with self._lock:
            self._kept[key] = result
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return result


RECENT = RecentReplays()


def open_items(node: LedgerNode, code: str, view: ElevatorView) -> OpenItems:
    illegal = illegal_reasons(view, node.today())
    try:
        result = RECENT.get(node, code, view)
    except ChainFault as exc:
        return OpenItems([], [], illegal, fault_of(exc))
    if result is None:
        return OpenItems([], [], illegal)
    words = ReportWords(result, entry_positions(node.engine, code), node.settings.zone)
    return OpenItems(words.overdue(), words.open_items(), illegal, None, result.problem)


def illegal_reasons(view: ElevatorView, today: date) -> list[Claim]:
    """Why the lift is on the illegal-use list today, each reason with its entries."""
    out = []
    for reason, proofs in illegal_use(view.status, view.flags, today):
        links = [EntryLink(None, h, type_zh(t), i) for t, _at, i, h in proofs]
        out.append(Claim("违规使用", ILLEGAL_USE_ZH.get(reason, reason), None, links, True))
    return out


def history(node: LedgerNode, code: str, page: int, everything: bool) -> dict[str, Any]:
    """One page of the elevator's entries, newest first, each with its inclusion proof to the
    latest checkpoint (an entry beyond it has none yet, and says so)."""
    limit = ALL_LIMIT if everything else PAGE_SIZE
    offset = 0 if everything else (page - 1) * PAGE_SIZE
    total, rows = read.elevator_entries(node.engine, code, offset, limit)
    checkpoint = node.log.latest_checkpoint()
    proved = [e["log_index"] for e in rows if e["log_index"] < checkpoint.size]
    proofs = dict(zip(proved, node.log.inclusion_proofs(proved, checkpoint.size), strict=True))
    zone = node.settings.zone
    entries = [
        {
            **e,
            "summary": summary_zh(e),
            "occurred_local": local_time(e["occurred_at"], zone),
            "recorded_local": local_time(e["recorded_at"], zone),
            "proof": [base64.b64encode(h).decode() for h in proofs[e["log_index"]]]
            if e["log_index"] in proofs
            else None,
        }
        for e in rows
    ]
    pages = max(1, -(-total // PAGE_SIZE))
    return {
        "entries": entries,
        "total": total,
        "page": page,
        "pages": pages,
        "all": everything,
        "truncated": everything and total > ALL_LIMIT,
        "checkpoint": checkpoint,
        "root": base64.b64encode(checkpoint.root).decode(),
        "origin": node.log.origin,
        "zone": zone_label(node.settings.time_zone),
    }
