"""The step registries (docs/lifecycle.md, "Where a statement type's schema, rule and effect go"):
every catalogue type has its rule and effect registered for its subject, once."""

from __future__ import annotations

import pytest

from domain.model.catalogue import CATALOGUE, Subject
from domain.model.elevator.registry import PARTIES, PartyRegistry
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


def test_every_elevator_type_says_who_may_sign_it_relative_to_the_elevator() -> None:
    types = {name for name, t in CATALOGUE.items() if t.subject is Subject.ELEVATOR}
    assert types == PARTIES.names, (
        f"no PARTIES.register for {sorted(types - PARTIES.names)}: decide who may sign each"
        " relative to the elevator (who=None: the role alone) and say why in docs/lifecycle.md"
    )


def test_every_elevator_type_is_in_the_table_of_who_may_sign() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "lifecycle.md").read_text("utf-8")
    section = text.split("## Who may sign what about an elevator", 1)[1].split("\n## ", 1)[0]
    types = {name for name, t in CATALOGUE.items() if t.subject is Subject.ELEVATOR}
    missing = sorted(name for name in types if f"`{name}`" not in section)
    assert not missing, f"docs/lifecycle.md's table of who may sign lacks {missing}"


def test_parties_of_a_type_are_registered_once() -> None:
    registry = PartyRegistry()
    registry.register("fault.reported", who=None)
    with pytest.raises(ValueError, match=r"fault\.reported already has its parties"):
        registry.register("fault.reported", who=None)
