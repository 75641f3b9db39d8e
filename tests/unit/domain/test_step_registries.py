"""The step registries (docs/lifecycle.md, "Where a statement type's schema, rule and effect go"):
every catalogue type has its rule and effect registered for its subject, once."""

from __future__ import annotations

import pytest

from domain.model.catalogue import CATALOGUE, Subject
from domain.model.elevator.registry import STEPS as ELEVATOR_STEPS
from domain.model.organization import STEPS as ORGANIZATION_STEPS
from domain.model.rules import StepRegistry


@pytest.mark.parametrize(
    ("subject", "registered"),
    [(Subject.ELEVATOR, ELEVATOR_STEPS.names), (Subject.ORGANIZATION, ORGANIZATION_STEPS.names)],
)
def test_every_catalogue_type_has_its_rule_and_effect_registered(
    subject: Subject, registered: set[str]
) -> None:
    types = {name for name, t in CATALOGUE.items() if t.subject is subject}
    unregistered = types - registered
    assert not unregistered, (
        f"no rule/effect registered for {sorted(unregistered)}: register each with"
        " STEPS.register(name, check=..., evolve=...) beside its check and effect"
    )
    assert not registered - types, f"registered {subject} types the catalogue does not know"


def test_a_type_registered_twice_is_refused() -> None:
    registry: StepRegistry[object] = StepRegistry()
    registry.register("fault.reported", check=None, evolve=None)
    with pytest.raises(ValueError, match=r"fault\.reported is already registered"):
        registry.register("fault.reported", check=None, evolve=lambda s, _: s)
