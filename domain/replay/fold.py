"""The replay itself: verify the chain entry by entry and fold the statements on the chosen side
of the instant into the elevator's state, its steps and its accountability report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.model.elevator import ElevatorState, evolve_elevator
from domain.model.timeline import NOT_APPLICABLE
from domain.replay.axes import Axis, included
from domain.replay.evidence import Evidence, Trail
from domain.replay.log_order import LogOrder
from domain.replay.report import AccountabilityReport, accountability_report
from domain.replay.steps import Step, changes_between, state_summary
from domain.replay.verify import (
    BrokenEntry,
    KeyLookup,
    KeyOrder,
    VerifiedEntry,
    memoized,
    verify_entry,
)


@dataclass(frozen=True)
class Replay:
    """The elevator as of ``as_of`` on ``axis``, and whether its chain verified.

    ``verified`` covers every entry given, including those outside the instant. When it is
    False, ``problem`` starts with ``version N:`` and the steps, state and report reflect only
    the entries before version N.
    """

    equipment_code: str
    as_of: datetime
    axis: Axis
    verified: bool
    problem: str | None
    failed_version: int | None
    entries_checked: int  # entries that verified
    entries_excluded: int  # verified, but on the other side of the instant
    head: Evidence | None  # the last entry that verified
    steps: tuple[Step, ...]
    state: ElevatorState
    report: AccountabilityReport

    def to_json(self) -> dict[str, Any]:
        return {
            "equipment_code": self.equipment_code,
            "as_of": self.as_of.isoformat(),
            "axis": str(self.axis),
            "verified": self.verified,
            "problem": self.problem,
            "failed_version": self.failed_version,
            "entries_checked": self.entries_checked,
            "entries_included": len(self.steps),
            "entries_excluded": self.entries_excluded,
            "head": self.head.to_json() if self.head else None,
            "steps": [s.to_json() for s in self.steps],
            "state": state_summary(self.state),
            "report": self.report.to_json(),
        }


def replay(
    entries: Iterable[str | bytes],
    as_of: datetime,
    axis: Axis | str,
    keys: KeyLookup,
    *,
    order: LogOrder,
    equipment_code: str | None = None,
) -> Replay:
    """Re-verify one elevator's chain and replay it as of ``as_of`` on ``axis``.

    ``entries`` are the chain's entries in version order, from the log. ``keys`` finds a
    registered key by id (``ElevatorLedger.key_info``); it is asked once per key id. ``order``
    places entries and key statements in the log (``LedgerOrder(app, chains)``): a key signs an
    entry validly only if the log holds its registration before the entry and no revocation of
    it before the entry, whatever ``recorded_at`` the entry claims — the issuer's key, and the
    co-signer's for a type that needs one. It is asked once per key the issuer or co-signer
    signed with (its registration and revocation) and once per entry. With ``equipment_code``,
    every entry must be about that elevator. Raises ``ValueError`` only for a naive ``as_of`` or
    an unknown axis (caller errors); data problems are in the result.
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    axis = Axis(axis)
    lookup, key_order = memoized(keys), KeyOrder(order)
    code = equipment_code
    state = ElevatorState.empty(code or "")
    trail = Trail()
    steps: list[Step] = []
    problem: str | None = None
    failed_version: int | None = None
    head: Evidence | None = None
    checked = excluded = 0
    counted: list[tuple[int, Evidence, VerifiedEntry]] = []
    for version, raw in enumerate(entries, 1):
        data = raw.encode() if isinstance(raw, str) else bytes(raw)
        try:
            verified = verify_entry(
                data, version, head.entry_hash if head else None, code, lookup, key_order
            )
        except BrokenEntry as exc:
            problem, failed_version = f"version {version}: {exc}", version
            break
        if code is None:
            code = verified.subject.id
            state = ElevatorState.empty(code)
        checked += 1
        head = Evidence(version, verified.entry_hash, verified.statement.type)
        if not included(axis, verified.statement, verified.entry, as_of):
            excluded += 1
            continue
        counted.append((version, head, verified))
    # On either axis the entries counted are folded in the order they happened
    # (domain.model.timeline): as the write path judged them, what the ledger knew at an instant
    # of the recorded axis is the occurred-order fold of what it held then.
    counted.sort(key=lambda c: (c[2].statement.occurred_at, c[0]))
    for version, evidence, verified in counted:
        entry, stmt = verified.entry, verified.statement
        note = None
        try:
            after = evolve_elevator(state, stmt)
        except NOT_APPLICABLE as exc:
            # e.g. on the occurred axis, a rescue step whose alarm occurred after the instant
            after = state
            note = f"not applied: it builds on something outside this replay ({exc!r})"
        steps.append(
            Step(
                version=version,
                entry_hash=verified.entry_hash,
                type=stmt.type,
                issuer=stmt.issuer,
                signer_key_ids=verified.signer_key_ids,
                occurred_at=stmt.occurred_at,
                recorded_at=entry.recorded_at,
                late=entry.recorded_at - stmt.occurred_at > stmt.statement_type.late_after,
                changes=changes_between(state, after),
                _statement=stmt,
                note=note,
            )
        )
        if note is None:
            trail.note(stmt, evidence, state, after)
        state = after
    if problem is None and head is None:
        problem, failed_version = "version 1: the chain is empty", 1
    return Replay(
        equipment_code=code or "",
        as_of=as_of,
        axis=axis,
        verified=problem is None,
        problem=problem,
        failed_version=failed_version,
        entries_checked=checked,
        entries_excluded=excluded,
        head=head,
        steps=tuple(steps),
        state=state,
        report=accountability_report(state, trail, as_of),
    )
