"""The elevator's life as pure functions: its state, the rules a statement must satisfy, and how an
accepted statement changes the state.

The state of an elevator is the left fold of its accepted statements through
:func:`evolve_elevator`, starting from :meth:`ElevatorState.empty`. Before a statement is stored,
:func:`check_elevator_statement` decides whether it fits that history — that is how the ledger
keeps "registered without inspection" or "maintained without a contract" out, instead of merely
flagging it later. Each refusal is a :class:`~domain.model.rules.RuleViolation` with its own rule
id; docs/lifecycle.md is the readable version of this package, section by section.

Where things are:

* :mod:`~domain.model.elevator.state` — :class:`ElevatorState` and its parts, and the queries the
  application layer asks of it (:func:`registered_use_unit`, :func:`active_contract`...).
* :mod:`~domain.model.elevator.registry` — the two entry points and the rules every statement
  passes (existence and time); then, per statement type, the rule and effect registered for it.
* one module per lifecycle area, in the order of docs/lifecycle.md: ``manufacture``,
  ``construction``, ``inspection``, ``registration``, ``maintenance``, ``use``,
  ``faults_and_rescue``, ``supervision``. Each holds, per statement type, its check (``_check_*``)
  right above its effect, and the ``STEPS.register(...)`` line naming both.

Adding a statement type about an elevator takes three places (docs/lifecycle.md says the same):

1. its schema — the ``data`` model and its :class:`~domain.model.catalogue.StatementType` entry —
   in :mod:`domain.model.catalogue`;
2. its rule and its effect, side by side in the area module it belongs to, registered there with
   ``STEPS.register(name, check=..., evolve=...)`` (``None``: no rule of its own, or no effect),
   and who may sign it relative to the elevator, ``PARTIES.register(name, who=...)`` (``None``:
   the role alone, or the type's own rule checks the relation);
3. its rule ids: in :data:`~domain.model.rules.RULES`, in docs/lifecycle.md, and with a
   specification in tests/unit/domain/test_elevator_lifecycle.py.

Tests fail while a catalogue type is unregistered; registering a type twice fails at import.

What is *not* checked here: signatures, keys, roles and licences (the application layer, with the
organizations' states). What *is* checked here, because it needs the elevator's history, is the
relationship between the issuer and the elevator: the maintainer holds a contract, the use unit is
the registered one, the construction unit completing a job is the one that notified it.
"""

from __future__ import annotations

# Importing the lifecycle areas registers their statement types with STEPS.
from domain.model.elevator import (
    construction,
    faults_and_rescue,
    inspection,
    maintenance,
    manufacture,
    registration,
    supervision,
    use,
)
from domain.model.elevator.registry import (
    PARTIES,
    check_elevator_statement,
    check_terminal_binding,
    evolve_elevator,
)
from domain.model.elevator.state import (
    Construction,
    Contract,
    ElevatorState,
    FailedInspection,
    Lifecycle,
    Registration,
    Rescue,
    RescueStage,
    Tracked,
    UseEvidence,
    active_contract,
    is_own_party,
    maintenance_unit_on,
    out_of_service,
    registered_use_unit,
)

__all__ = [
    "PARTIES",
    "Construction",
    "Contract",
    "ElevatorState",
    "FailedInspection",
    "Lifecycle",
    "Registration",
    "Rescue",
    "RescueStage",
    "Tracked",
    "UseEvidence",
    "active_contract",
    "check_elevator_statement",
    "check_terminal_binding",
    "construction",
    "evolve_elevator",
    "faults_and_rescue",
    "inspection",
    "is_own_party",
    "maintenance",
    "maintenance_unit_on",
    "manufacture",
    "out_of_service",
    "registered_use_unit",
    "registration",
    "supervision",
    "use",
]
