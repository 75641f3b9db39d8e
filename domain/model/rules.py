"""Rule violations: why a well-formed, properly signed statement is still refused.

The ledger records what organizations say, but only what fits the subject's history: a registration
needs a passed inspection, a maintenance record needs a contract, and so on. Each rule has a stable
kebab-case id (:data:`RULES`) that integrators and regulators can rely on; it is what the API
returns as the reason for a refusal, so ids are never renamed, only added. The rules themselves live
next to the state they read (:mod:`domain.model.elevator`, :mod:`domain.model.organization`), each
statement type's beside its effect, registered in a :class:`StepRegistry`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Generic, TypeVar

from pydantic import BaseModel

from domain.model.catalogue import Statement

__all__ = [
    "CLOCK_SKEW",
    "RULES",
    "RuleViolation",
    "StepRegistry",
    "check_not_in_the_future",
    "data_of",
    "statement_data",
]

#: Policy: how far ``occurred_at`` may be ahead of the ledger's clock. Signers' clocks drift; a
#: statement dated further ahead claims something that has not happened yet.
CLOCK_SKEW = timedelta(minutes=5)


class RuleViolation(Exception):
    """A statement breaks a rule; nothing is stored.

    ``rule`` is the stable id (a key of :data:`RULES`); ``message`` is one English sentence naming
    the facts (identifiers, dates) so the submitter can see what to fix without reading code.
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(rule, message)  # args kept so the exception pickles and copies
        self.rule = rule
        self.message = message

    def __str__(self) -> str:
        return f"{self.message} [{self.rule}]"


def check_not_in_the_future(occurred_at: datetime, recorded_at: datetime) -> None:
    """Refuse a statement dated beyond the ledger clock plus :data:`CLOCK_SKEW`."""
    if occurred_at > recorded_at + CLOCK_SKEW:
        raise RuleViolation(
            "occurred-in-the-future",
            f"occurred_at {occurred_at.isoformat()} is more than {CLOCK_SKEW} after the ledger's"
            f" clock ({recorded_at.isoformat()})",
        )


#: Every rule id the pure domain raises, with one line of explanation (docs/lifecycle.md lists
#: them too). Ids raised by other layers (signatures, roles, licences) are not listed here.
RULES: Mapping[str, str] = MappingProxyType(
    {
        # --- any subject ---
        "occurred-in-the-future": "occurred_at is later than the ledger clock plus the clock skew.",
        "backdated-breaks-later": "A back-dated statement would make a statement that occurred"
        " after it break a rule.",
        # --- elevator: existence and time ---
        "statement-for-another-elevator": "The statement is not about this elevator.",
        "elevator-unknown": "The elevator was never manufactured in the ledger; that comes first.",
        "already-manufactured": "elevator.manufactured is recorded only once per equipment code.",
        "only-manufacturer-sells": "elevator.sold is signed by the manufacturer that recorded"
        " elevator.manufactured.",
        "elevator-cancelled": "After registration.cancelled nothing more is recorded.",
        "elevator-scrapped": "After elevator.scrapped only registration.cancelled is accepted.",
        "before-manufacture": "Nothing can have happened to an elevator before it was made.",
        # --- construction ---
        "installation-needs-new-elevator": "An installation is notified only for an elevator"
        " never installed (lifecycle manufactured).",
        "construction-needs-registration": "Modification, major repair and relocation are for"
        " registered elevators in service or stopped.",
        "one-construction-at-a-time": "A construction is already open (not yet passed its"
        " supervisory inspection).",
        "construction-not-open": "construction.completed needs a notified, uncompleted"
        " construction.",
        "construction-kind-mismatch": "The completed construction's kind differs from the"
        " notified one.",
        "construction-unit-mismatch": "Only the construction unit that notified may complete it.",
        # --- inspection ---
        "supervisory-inspection-without-construction": "A supervisory inspection needs a"
        " completed construction awaiting it.",
        "re-inspection-without-failure": "A re-inspection needs a failed inspection still open.",
        "inspection-needs-registration": "Periodic inspections and self-tests are for registered"
        " elevators in service or stopped.",
        "self-test-by-other-maintainer": "A self-test signed by a maintenance unit (not a testing"
        " body) is the one under contract that day.",
        # --- registration ---
        "already-registered": "The elevator already has a use registration; change it instead.",
        "registration-requires-supervisory-pass": "Use registration needs a passed supervisory"
        " inspection after the installation.",
        "registration-change-without-registration": "Only an existing registration can change.",
        "relocation-change-needs-inspection": "A change for relocation needs the relocated elevator"
        " to have passed its supervisory inspection.",
        "modification-change-needs-inspection": "A change for modification needs a modification"
        " that passed its supervisory inspection and has not been change-registered yet.",
        "cancellation-without-registration": "Only a registered (or scrapped) elevator's"
        " registration can be cancelled.",
        # --- maintenance contracts ---
        "contract-number-taken": "A maintenance contract number is used once per elevator.",
        "contract-not-with-use-unit": "A maintenance contract is signed with the registered use"
        " unit.",
        "one-maintenance-unit-at-a-time": "Contracts of two different maintenance units must not"
        " overlap (no subcontracting).",
        "contract-unknown": "No maintenance contract with that number for this elevator.",
        "contract-already-ended": "The maintenance contract has already been ended.",
        "only-contract-party-ends": "Only the contract's maintenance unit, its use unit or the"
        " registered use unit ends it.",
        # --- maintenance visits ---
        "maintenance-before-installation": "Maintenance is recorded once the elevator is installed"
        " (awaiting inspection onwards) and not while under construction.",
        "maintenance-without-active-contract": "The maintainer must hold a contract in force on the"
        " day of the visit.",
        "visit-id-taken": "A visit id is used once per elevator.",
        "only-use-unit-confirms": "Only the registered use unit confirms maintenance visits.",
        "visit-unknown": "No maintenance visit with that id for this elevator.",
        "visit-already-confirmed": "The visit has already been confirmed.",
        # --- use ---
        "only-registered-use-unit": "Stopping, resuming and scrapping are the registered use"
        " unit's statements.",
        "stop-only-in-service": "Only an elevator in service can be stopped.",
        "resume-only-when-stopped": "Only a stopped elevator can resume.",
        "failed-elevator-must-not-run": "An elevator with a failed inspection open must not"
        " resume.",
        "restart-after-a-year-needs-inspection": "Stopped for more than a year: a periodic"
        " inspection pass after the stop is required before resuming.",
        # --- faults and rescue ---
        "fault-reporter-not-a-party": "A fault is reported by the registered use unit or the"
        " maintenance unit under contract that day (or a terminal of theirs).",
        "only-contracted-maintainer-clears": "A fault is cleared by the maintenance unit under"
        " contract that day.",
        "rescue-alarm-not-a-party": "A rescue alarm is raised by the registered use unit or the"
        " 96333 platform.",
        "rescue-dispatch-not-a-party": "A rescue is dispatched by the 96333 platform or the"
        " registered use unit.",
        "rescue-arrival-not-a-party": "A rescue arrival is signed by the 96333 platform, the"
        " maintenance unit under contract that day or the responder the dispatch named.",
        "rescue-release-not-a-party": "A release is signed by the 96333 platform, the maintenance"
        " unit under contract that day or the responder the dispatch named.",
        "fault-already-open": "A fault with that id is already open.",
        "fault-not-open": "No open fault with that id.",
        "rescue-id-taken": "A rescue id is used once per elevator.",
        "rescue-not-open": "No open rescue with that id (unknown or already released).",
        "rescue-out-of-order": "Rescue steps go alarm, (dispatched), arrived, released.",
        "rescue-times-go-backwards": "A rescue step is timed before the previous step.",
        # --- supervision ---
        "hazard-id-taken": "A hazard id is used once per elevator.",
        "hazard-not-open": "No open hazard with that id.",
        "order-id-taken": "A rectification order id is used once per elevator.",
        "rectification-hazard-not-open": "A rectification order can only refer to an open hazard.",
        "order-not-open": "No open rectification order with that id.",
        "rectification-by-other-party": "A rectification is completed by the party its order"
        " names, else by the registered use unit or the maintenance unit under contract.",
        "insured-not-use-unit": "An elevator's policy insures its registered use unit.",
        "claim-by-other-insurer": "A claim is paid by the insurer that issued the policy.",
        "complaint-not-open": "No open complaint with that id.",
        "insurance-policy-unknown": "No insurance policy with that number for this elevator.",
        # --- organization ---
        "statement-for-another-organization": "The statement is not about this organization.",
        "organization-unknown": "The organization must be registered (org.registered) first.",
        "organization-already-registered": "org.registered is recorded only once.",
        "role-not-granted": "The role to revoke is not currently granted.",
        "licence-number-taken": "A licence number is granted once per organization.",
        "licence-unknown": "No licence with that number for this organization.",
        "licence-already-revoked": "The licence has already been revoked.",
        "key-id-taken": "A key id is registered once; a revoked key id never comes back.",
        "key-not-registered": "No key with that id is registered for this organization.",
        "key-already-revoked": "The key has already been revoked.",
        "terminal-elevator-unknown": "A terminal key is bound to an elevator the ledger knows"
        " (manufactured, not cancelled).",
        "terminal-owner-not-a-party": "A terminal key is bound to an elevator by its registered"
        " use unit or the maintenance unit under contract that day.",
    }
)


_D = TypeVar("_D", bound=BaseModel)


def statement_data(stmt: Statement) -> BaseModel:
    """``stmt.parsed_data()``, read straight from the model's private values: pydantic's
    ``__getattr__`` for a private attribute costs about 6 µs a read (``parsed_data`` reads it
    twice), and the write path reads a statement's data several times."""
    private = stmt.__pydantic_private__
    data = private.get("_parsed") if private else None
    return data if isinstance(data, BaseModel) else stmt.parsed_data()


def data_of(stmt: Statement, model: type[_D]) -> _D:
    """The statement's parsed data as the model its type dispatches to (a programming error
    otherwise: checks and evolutions are looked up by type)."""
    data = statement_data(stmt)
    assert isinstance(data, model), f"{stmt.type} data is not {model.__name__}"
    return data


_S = TypeVar("_S")


class StepRegistry(Generic[_S]):
    """Per statement type, its rule and its effect on a subject's state ``_S``, registered once,
    by the module that holds them side by side; :meth:`register` is their only writer.

    ``names`` holds every registered type, including those with neither a rule nor an effect, so
    that a catalogue type nobody thought about is told apart from one that needs nothing. The
    subject's ``check_*`` and ``evolve_*`` look a statement's type up in ``checks`` and
    ``evolutions``: one dictionary lookup, on the write path's hot loop.
    """

    __slots__ = ("checks", "evolutions", "names")

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.checks: dict[str, Callable[[_S, Statement], None]] = {}
        self.evolutions: dict[str, Callable[[_S, Statement], _S]] = {}

    def register(
        self,
        name: str,
        *,
        check: Callable[[_S, Statement], None] | None,
        evolve: Callable[[_S, Statement], _S] | None,
    ) -> None:
        """Register statement type ``name``: ``check`` raises :class:`RuleViolation` unless a
        statement fits the history (None: the subject's common rules alone), ``evolve`` is its
        effect (None: recorded, the state unchanged).

        Both are named at every registration so that "no rule" and "no effect" are decisions,
        not omissions; a second registration of ``name`` is a programming error.
        """
        if name in self.names:
            raise ValueError(f"statement type {name} is already registered")
        self.names.add(name)
        if check is not None:
            self.checks[name] = check
        if evolve is not None:
            self.evolutions[name] = evolve
