"""The registry of elevator statement types (domain/model/elevator/registry.py): every catalogue
type about an elevator has its rule and effect registered, once."""

from __future__ import annotations

import pytest

from domain.model.catalogue import CATALOGUE, Subject
from domain.model.elevator.registry import STEPS, StepRegistry


def test_every_catalogue_elevator_type_has_its_rule_and_effect_registered() -> None:
    elevator_types = {name for name, t in CATALOGUE.items() if t.subject is Subject.ELEVATOR}
    unregistered = elevator_types - STEPS.names
    assert not unregistered, (
        f"no rule/effect registered for {sorted(unregistered)}: register each with"
        " STEPS.register(name, check=..., evolve=...) in its lifecycle-area module"
    )
    assert not STEPS.names - elevator_types, "registered types that the catalogue does not know"


def test_a_type_registered_twice_is_refused() -> None:
    registry = StepRegistry()
    registry.register("fault.reported", check=None, evolve=None)
    with pytest.raises(ValueError, match=r"fault\.reported is already registered"):
        registry.register("fault.reported", check=None, evolve=lambda s, _: s)
