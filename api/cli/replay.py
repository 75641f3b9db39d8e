"""``replay``: one elevator as of an instant, its chain and signatures re-verified, and who was
responsible then; as tables, or as the JSON the regulators' replay route serves."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from api.cli.nodes import initialised_node
from api.cli.output import fail, print_json, print_rich, say
from api.node import LedgerNode
from domain.application.log_chains import ChainFault
from domain.model.organization import OrganizationState, evolve_organization
from domain.model.subjects import SubjectRef
from domain.model.submission import statement_of
from domain.replay import Axis, Replay, parse_instant


def replay(
    code: Annotated[str, typer.Argument(help="the elevator's equipment code")],
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of", help="RFC 3339 instant with a UTC offset, e.g. 2025-03-01T14:05:00+08:00"
        ),
    ],
    axis: Annotated[
        Axis,
        typer.Option(
            help="occurred: as it happened by then (late entries included); recorded: as the"
            " ledger knew it then"
        ),
    ] = Axis.OCCURRED,
    as_json: Annotated[bool, typer.Option("--json", help="print the replay as JSON")] = False,
) -> None:
    """Replay one elevator as of an instant, re-verifying its chain and signatures, and say who
    was responsible then. Exits 1 if the elevator is unknown or its chain does not verify."""
    from api.elevator_replay import replay_elevator
    from api.local_time import on_ledger_clock

    try:
        at = parse_instant(as_of)
    except ValueError as exc:
        fail(f"--as-of: {exc}")
    with initialised_node() as node:
        try:  # the same instant on the ledger's clock: the report's dates are in its zone
            result = replay_elevator(node, code, on_ledger_clock(at, node.settings.zone), axis)
        except ChainFault as fault:
            fail(f"cannot replay the chain from the log: {fault}")
        if result is None:
            fail(f"no elevator {code} in this ledger")
        if as_json:
            print_json(result.to_json(), indent=True)
        else:
            _print_tables(result, code, at, axis, node)
        if not result.verified:
            fail(f"chain verification failed: {result.problem}")
        assert result.head is not None
        say(
            f"chain and signatures verified ({result.entries_checked} entries, head"
            f" v{result.head.version} {result.head.entry_hash[:16]}…)"
        )


def _print_tables(result: Replay, code: str, at: datetime, axis: Axis, node: LedgerNode) -> None:
    """The steps with what each changed (recorded times at ``at``'s offset, as asked), then
    who was responsible, what was overdue or open, each claim with the entries proving it;
    organizations by name."""
    from rich.table import Table
    from rich.text import Text

    name = _OrgNames(node)
    steps = Table(title=Text(f"elevator {code} as of {at.isoformat()} ({axis} axis)"))
    for column in ("v", "occurred", "recorded", "type", "issuer", "what changed"):
        steps.add_column(column)
    for step in result.steps:
        changed = "\n".join(f"{k}: {b} → {a}" for k, (b, a) in step.changes.items())
        steps.add_row(
            Text(str(step.version)),
            Text(step.occurred_at.isoformat()),
            Text(
                step.recorded_at.astimezone(at.tzinfo).isoformat()
                + (" (late)" if step.late else "")
            ),
            Text(step.type),
            Text(name(step.issuer)),
            Text(step.note or changed or "—"),
        )
    print_rich(steps)
    report = result.report
    parties = Table(title=Text(f"responsible at {report.as_of.isoformat()}"))
    for column in ("role", "organization", "basis", "proof"):
        parties.add_column(column)
    for party in report.parties:
        proof = ", ".join(f"v{e.version} {e.entry_hash[:12]}…" for e in party.evidence)
        parties.add_row(
            Text(str(party.role)), Text(name(party.uscc)), Text(party.basis), Text(proof)
        )
    print_rich(parties)
    for o in report.overdue:
        proof = ", ".join(f"v{e.version} {e.entry_hash[:12]}…" for e in o.evidence)
        print_rich(Text(f"overdue {o.obligation} ({name(o.responsible)}): {o.detail} [{proof}]"))
    for i in report.open_items:
        proof = ", ".join(f"v{e.version} {e.entry_hash[:12]}…" for e in i.evidence)
        late = " OVERDUE" if i.overdue else ""
        print_rich(Text(f"open {i.kind} {i.id}: {i.detail}{late} [{proof}]"))
    if not report.overdue and not report.open_items:
        print_rich(Text("nothing overdue or open"))


class _OrgNames:
    """USCC -> "name (USCC)" from the organizations' chains in the log, memoized."""

    def __init__(self, node: LedgerNode) -> None:
        self.chains, self.names = node.chains(), dict[str, str]()

    def __call__(self, uscc: str | None) -> str:
        if uscc is None:
            return "—"
        if uscc not in self.names:
            state = OrganizationState.empty(uscc)
            for entry in self.chains.entries(str(SubjectRef.organization(uscc))):
                state = evolve_organization(state, statement_of(entry.data.decode()))
            self.names[uscc] = f"{state.name} ({uscc})" if state.name else uscc
        return self.names[uscc]
