"""The replay in the elevator's file: the elevator as of an instant on both axes, side by side,
and one axis in full — the accountability report and what each step changed.

Each axis is :func:`api.elevator_replay.replay_elevator` at the instant on the ledger's clock,
exactly what ``GET /v1/elevators/{code}/replay`` serves (api/replay_routes.py); this module only
parses the form's instant and words the result (:mod:`api.console.file_words`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import partial
from typing import Any

from api.console.file_page import Fault, Names, fault_of
from api.console.file_words import (
    AXIS_ZH,
    Claim,
    ReportWords,
    change_rows,
    report_organizations,
)
from api.elevator_replay import replay_elevator
from api.local_time import local_time, on_ledger_clock
from api.node import LedgerNode
from api.pages import LIFECYCLE_ZH, summary_zh
from domain.application.log_chains import ChainFault
from domain.replay import Axis, Replay, Step, parse_instant
from projections.elevator_file import entry_positions

#: Steps per page of the step list.
STEPS_PER_PAGE = 100


class BadInstant(ValueError):
    """The form's instant is not one (the page says why, in Chinese)."""


def parse_as_of(text: str, zone: tzinfo) -> datetime:
    """The instant the form asks for: a ``datetime-local`` value (``2025-03-01T14:05``, on the
    ledger's clock) or an RFC 3339 instant with its offset; on the ledger's clock."""
    candidate = text.strip()
    if not candidate:
        raise BadInstant("请填写回放时刻")
    if len(candidate) > 64:
        raise BadInstant("回放时刻过长：请按 2025-03-01T14:05 的格式填写")
    try:
        at = parse_instant(candidate)
    except ValueError:
        try:
            naive = datetime.fromisoformat(candidate)
        except ValueError:
            raise BadInstant(
                f"“{text[:40]}”不是有效的时刻：请按 2025-03-01T14:05 的格式填写"
            ) from None
        if naive.tzinfo is not None:
            raise BadInstant(f"“{text[:40]}”不是有效的时刻") from None
        at = naive.replace(tzinfo=zone)
    try:
        return on_ledger_clock(at, zone).astimezone(zone)
    except (OverflowError, ValueError):
        raise BadInstant(f"“{text[:40]}”超出可回放的时间范围") from None


def form_value(at: datetime) -> str:
    """The instant as the form's ``datetime-local`` field shows it (the ledger's clock)."""
    return at.strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class AxisView:
    """One axis of the replay, worded."""

    axis: Axis
    result: Replay
    parties: list[Claim]
    overdue: list[Claim]
    items: list[Claim]

    @property
    def label(self) -> str:
        return AXIS_ZH[str(self.axis)]

    @property
    def versions(self) -> set[int]:
        return {s.version for s in self.result.steps}

    def summary(self) -> dict[str, Any]:
        """The few facts shown side by side with the other axis."""
        state = self.result.state
        lifecycle = state.lifecycle.value if state.lifecycle else None
        return {
            "lifecycle": LIFECYCLE_ZH.get(lifecycle or "", "账本中尚无记录"),
            "registration": state.registration.registration_code if state.registration else None,
            "steps": len(self.result.steps),
            "excluded": self.result.entries_excluded,
            "parties": len(self.parties),
            "overdue": len(self.overdue),
            "items": len(self.items),
            "verified": self.result.verified,
        }


@dataclass(frozen=True)
class ReplayPage:
    """Both axes at the instant, or the chain fault that stopped them."""

    code: str
    as_of: datetime
    axes: dict[str, AxisView]
    fault: Fault | None = None
    #: each version's log index and entry hash (the entries read model)
    positions: Mapping[int, tuple[int, str]] = field(default_factory=dict)


def replay_both(node: LedgerNode, code: str, as_of: datetime) -> ReplayPage | None:
    """The elevator replayed at ``as_of`` on both axes; None if it has no chain."""
    positions = entry_positions(node.engine, code)
    axes: dict[str, AxisView] = {}
    for axis in (Axis.OCCURRED, Axis.RECORDED):
        try:
            result = replay_elevator(node, code, as_of, axis)
        except ChainFault as exc:
            return ReplayPage(code, as_of, {}, fault_of(exc), positions)
        if result is None:
            return None
        words = ReportWords(result, positions, node.settings.zone)
        axes[str(axis)] = AxisView(
            axis, result, words.parties(), words.overdue(), words.open_items()
        )
    return ReplayPage(code, as_of, axes, None, positions)


def organizations(page: ReplayPage) -> set[str]:
    """Every organization the page names: parties, the responsible, the steps' issuers."""
    out: set[str] = set()
    for view in page.axes.values():
        out |= report_organizations(view.result.report)
        out |= {c.organization for c in view.items if c.organization}
        out |= {s.issuer for s in view.result.steps}
    return out


def differences(
    page: ReplayPage, node: LedgerNode, names: Names
) -> dict[str, list[dict[str, Any]]]:
    """The entries one axis counts and the other does not: on the occurred axis only (it had
    happened by the instant but was recorded after it: the ledger did not know it yet), and on
    the recorded axis only (recorded by the instant, about something after it)."""
    occurred, recorded = page.axes["occurred"], page.axes["recorded"]
    rows = partial(_listed, positions=page.positions, node=node, names=names)
    return {
        "occurred_only": rows(occurred, occurred.versions - recorded.versions),
        "recorded_only": rows(recorded, recorded.versions - occurred.versions),
    }


def _listed(
    view: AxisView,
    versions: set[int],
    *,
    positions: Mapping[int, tuple[int, str]],
    node: LedgerNode,
    names: Names,
) -> list[dict[str, Any]]:
    return [
        step_row(s, positions, node, names) | {"changes": []}
        for s in view.result.steps
        if s.version in versions
    ]


def step_row(
    step: Step, positions: Mapping[int, tuple[int, str]], node: LedgerNode, names: Names
) -> dict[str, Any]:
    """One step as the list shows it: who said what, when on both clocks, where in the log,
    what it changed."""
    zone = node.settings.zone
    found = positions.get(step.version)
    return {
        "version": step.version,
        "entry_hash": step.entry_hash,
        "log_index": found[0] if found and found[1] == step.entry_hash else None,
        "type_zh": summary_zh({"type": step.type, "statement": step.statement}),
        "issuer": step.issuer,
        "issuer_name": names(step.issuer),
        "signers": step.signer_key_ids,
        "occurred_at": step.occurred_at.isoformat(),
        "occurred_local": local_time(step.occurred_at, zone),
        "recorded_at": step.recorded_at.isoformat(),
        "recorded_local": local_time(step.recorded_at, zone),
        "late": step.late,
        "changes": change_rows(step),
        "note": step.note,
    }


def steps_page(
    replayed: ReplayPage, view: AxisView, page: int | None, node: LedgerNode, names: Names
) -> dict[str, Any]:
    """One page of the axis's steps in the order they were applied; by default the last page,
    the steps nearest the instant."""
    steps = view.result.steps
    pages = max(1, -(-len(steps) // STEPS_PER_PAGE))
    shown = min(max(page or pages, 1), pages)
    start = (shown - 1) * STEPS_PER_PAGE
    shown_steps = steps[start : start + STEPS_PER_PAGE]
    return {
        "rows": [step_row(s, replayed.positions, node, names) for s in shown_steps],
        "page": shown,
        "pages": pages,
        "total": len(steps),
        "first": start + 1,
    }
