"""A subject's history on the occurred axis: the state as it stood at a date, and whether a
back-dated statement fits both its date and everything that occurred after it.

The log is append-only, so a chain's statements are in the order they were *recorded*; what the
rules are about is the order they *occurred*. A statement dated after everything in its chain (the
usual case) is judged against the chain's state as it is; that is the write path's fast path and
nothing here runs for it. A statement dated earlier than statements already in the chain
(back-dated: a visit recorded weeks later, a paper record typed in) is judged here:

1. against the state made by the statements that occurred at or before it (sort key
   ``(occurred_at, version)``, so statements of the same instant stay in log order), with the
   subject's own rules — a refusal names that rule's id;
2. then each statement that occurred after it is checked again, in occurred order, on the state
   *with* the new statement and on the state *without* it. One that fitted without the new
   statement and breaks a rule with it makes the new statement refused,
   ``backdated-breaks-later`` naming that later statement and the rule it would break. One that
   broke a rule already without it (a history stored before this check existed) does not block
   an innocent statement.

The chain's state is then the occurred-order fold of all its statements (:func:`fold_occurred`),
which is what the next statement is judged against, what the projections show and what the
replay on the occurred axis computes. Pure: no I/O; the application loads the history.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson

from domain.model.catalogue import Statement
from domain.model.elevator import ElevatorState, check_elevator_statement, evolve_elevator
from domain.model.organization import (
    OrganizationState,
    check_organization_statement,
    evolve_organization,
)
from domain.model.rules import RuleViolation
from domain.model.submission import statement_of
from ledger.entry import parse_time

__all__ = [
    "ELEVATOR_RULES",
    "NOT_APPLICABLE",
    "ORGANIZATION_RULES",
    "Dated",
    "SubjectRules",
    "dated_entry",
    "fold_occurred",
    "judge_on_its_date",
    "occurred_order",
    "tolerant_evolve",
]

S = TypeVar("S")

#: What an effect raises when a statement builds on something its state lacks (a release of a
#: rescue never alarmed on this side of a date, a history stored before a rule existed): the
#: statement is then not applied, as the replay has always done.
NOT_APPLICABLE = (KeyError, AssertionError, AttributeError, TypeError)


@dataclass(frozen=True, slots=True)
class Dated:
    """One statement of a chain and where the log holds it (its version and recording time)."""

    statement: Statement
    version: int
    recorded_at: datetime

    @property
    def key(self) -> tuple[datetime, int]:
        """Its place on the occurred axis: ties keep log order."""
        return (self.statement.occurred_at, self.version)


def dated_entry(text: str | bytes | dict[str, Any]) -> Dated:
    """The statement of a stored chain entry (text, or its JSON already decoded), with its
    version and ``recorded_at``. The entry was verified when it was accepted: read, not
    re-verified (this runs for every entry of a chain a back-dated statement joins)."""
    doc = text if isinstance(text, dict) else orjson.loads(text)
    return Dated(statement_of(doc), int(doc["version"]), parse_time(doc["recorded_at"]))


@dataclass(frozen=True)
class SubjectRules(Generic[S]):
    """A kind of subject's pure functions: its empty state, its rules, its effects."""

    empty: Callable[[str], S]
    check: Callable[[S, Statement, datetime], None]
    evolve: Callable[[S, Statement], S]


ELEVATOR_RULES: SubjectRules[ElevatorState] = SubjectRules(
    ElevatorState.empty, check_elevator_statement, evolve_elevator
)
ORGANIZATION_RULES: SubjectRules[OrganizationState] = SubjectRules(
    OrganizationState.empty, check_organization_statement, evolve_organization
)


def occurred_order(history: Iterable[Dated]) -> list[Dated]:
    """The statements in the order they occurred (stable: ties in version order)."""
    return sorted(history, key=lambda d: d.key)


def tolerant_evolve(evolve: Callable[[S, Statement], S], state: S, stmt: Statement) -> S:
    """``evolve``, or the state unchanged when the statement builds on something the state
    lacks (:data:`NOT_APPLICABLE`)."""
    try:
        return evolve(state, stmt)
    except NOT_APPLICABLE:
        return state


def fold_occurred(rules: SubjectRules[S], subject_id: str, history: Iterable[Dated]) -> S:
    """The subject's state: its statements folded in the order they occurred."""
    state = rules.empty(subject_id)
    for dated in occurred_order(history):
        state = tolerant_evolve(rules.evolve, state, dated.statement)
    return state


def _broken(
    check: Callable[[S, Statement, datetime], None], state: S, dated: Dated
) -> RuleViolation | None:
    try:
        check(state, dated.statement, dated.recorded_at)
    except RuleViolation as exc:
        return exc
    return None


def judge_on_its_date(
    rules: SubjectRules[S],
    subject_id: str,
    history: Sequence[Dated],
    new: Dated,
    *,
    check_new: Callable[[S, Statement, datetime], None] | None = None,
    check_later: Callable[[S, Statement, datetime], None] | None = None,
) -> S:
    """Raise :class:`RuleViolation` unless ``new`` fits the subject as it stood at its
    ``occurred_at`` and breaks no rule for a statement that occurred after it (module doc);
    otherwise return the subject's state with ``new``: the occurred-order fold of all.

    ``history``: the chain's statements (any order); ``new`` has a version above all of theirs.
    Nothing is recorded before the subject's first statement (its manufacture, its
    registration): a statement dated before everything in the chain is judged against the state
    that first statement made, so the subject's own rule for that refuses it
    (``before-manufacture``). ``check_new``: how the new statement is checked, when it needs
    more than the subject's rules (the roles its issuer acts in); default ``rules.check``.
    ``check_later``: how each later statement is checked again (the roles *its* issuer acts
    in on its own date, so that a relation check is not passed by a role the issuer lacks);
    default ``rules.check``.
    """
    ordered = occurred_order(history)
    split = bisect_right([d.key for d in ordered], new.key)
    state = rules.empty(subject_id)
    for dated in ordered[:split]:
        state = tolerant_evolve(rules.evolve, state, dated.statement)
    check = check_new or rules.check
    if split == 0 and ordered:
        check(
            tolerant_evolve(rules.evolve, state, ordered[0].statement),
            new.statement,
            new.recorded_at,
        )
    check(state, new.statement, new.recorded_at)  # the rule broken at its date: its own id
    recheck = check_later or rules.check
    without, with_new = state, rules.evolve(state, new.statement)
    for later in ordered[split:]:
        broken = _broken(recheck, with_new, later)
        if broken is not None and _broken(recheck, without, later) is None:
            stmt = later.statement
            raise RuleViolation(
                "backdated-breaks-later",
                f"{new.statement.type} at {new.statement.occurred_at.isoformat()} would make the"
                f" later {stmt.type} (version {later.version}, occurred"
                f" {stmt.occurred_at.isoformat()}) break rule {broken.rule}: {broken.message}",
            )
        without = tolerant_evolve(rules.evolve, without, later.statement)
        with_new = tolerant_evolve(rules.evolve, with_new, later.statement)
    return with_new
