"""Personal fields are signed concealed and checked, once disclosed, like any other field."""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from domain.model.catalogue import CATALOGUE, Statement, example_statement
from domain.model.personal import (
    MAX_DISCLOSURES,
    check_personal,
    conceal_statement,
    parse_disclosures,
)
from ledger.disclosure import CONCEALED, Disclosure, DisclosureError

PERSONAL_TYPES = [st.name for st in CATALOGUE.values() if st.personal_fields]


def personal_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Fields typed PersonalName / PersonalRef (they accept a ``Concealed``), walking nested
    models and lists of them."""
    found: set[str] = set()
    for name, field in model.model_fields.items():
        for arg in _flatten(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                if arg.__name__ == "Concealed":
                    found.add(prefix + name)
                else:
                    star = "*." if _is_list(field.annotation) else ""
                    found |= personal_paths(arg, f"{prefix}{name}.{star}")
    return found


def _flatten(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation)
    if not args:
        return [annotation]
    return [a for arg in args for a in _flatten(arg)]


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in typing.get_args(annotation))
    return typing.get_origin(annotation) is list


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_the_catalogue_names_exactly_the_fields_typed_personal(name: str) -> None:
    st = CATALOGUE[name]
    assert personal_paths(st.data_model) == set(st.personal_fields)


def signed(name: str, data: dict[str, Any] | None = None) -> tuple[Statement, list[Disclosure]]:
    doc = example_statement(name)
    if data is not None:
        doc["data"] = doc["data"] | data
    concealed, disclosures = conceal_statement(doc)
    return Statement.model_validate(concealed), disclosures


@pytest.mark.parametrize("name", PERSONAL_TYPES)
def test_an_example_concealed_and_disclosed_passes(name: str) -> None:
    stmt, disclosures = signed(name)
    assert disclosures and all(CONCEALED in str(stmt.data) for _ in disclosures)
    assert check_personal(stmt, disclosures) == []
    # the public log holds no values: re-verifying it checks the form only
    assert check_personal(stmt, [], required=False) == []


@pytest.mark.parametrize("name", PERSONAL_TYPES)
def test_a_submission_without_the_disclosures_is_refused(name: str) -> None:
    stmt, _ = signed(name)
    [error, *_] = check_personal(stmt, [])
    assert error["loc"].startswith("data.") and "no disclosure" in error["msg"]


@pytest.mark.parametrize("name", PERSONAL_TYPES)
def test_a_personal_value_in_the_clear_is_refused_even_when_re_verifying(name: str) -> None:
    stmt = Statement.model_validate(example_statement(name))  # nothing concealed
    for required in (True, False):
        [error, *_] = check_personal(stmt, [], required)
        assert "must be concealed" in error["msg"], error


def test_disclosed_values_are_checked_as_strictly_as_signed_ones() -> None:
    bad_name = [
        {"name": "张三\n", "certificate_number": "T-1"},
        {"name": "李四", "certificate_number": "T-2"},
    ]
    stmt, disclosures = signed("maintenance.performed", {"technicians": bad_name})
    errors = check_personal(stmt, disclosures)
    assert [e["loc"] for e in errors] == ["data.technicians.0.name"]
    long_contact = "1" * 201
    stmt, disclosures = signed("complaint.received", {"complainant_contact": long_contact})
    assert [e["loc"] for e in check_personal(stmt, disclosures)] == ["data.complainant_contact"]


def test_two_technicians_must_be_two_people_once_their_certificates_are_disclosed() -> None:
    twice = [
        {"name": "张三", "certificate_number": "T-1"},
        {"name": "李四", "certificate_number": "T-1"},
    ]
    stmt, disclosures = signed("maintenance.performed", {"technicians": twice})
    [error] = check_personal(stmt, disclosures)
    assert "technician certificate numbers must not repeat" in error["msg"]


def test_an_anonymous_complaint_has_nothing_to_disclose() -> None:
    stmt, disclosures = signed("complaint.received", {"complainant_contact": None})
    assert disclosures == [] and check_personal(stmt, []) == []


def test_disclosures_for_a_type_without_personal_fields_are_refused() -> None:
    stmt, _ = signed("elevator.manufactured")
    [error] = check_personal(stmt, [Disclosure.make("name", "张三")])
    assert error["loc"] == "disclosures" and "has no personal fields" in error["msg"]


def test_at_most_32_disclosures() -> None:
    many = [Disclosure.make("name", str(i)).encoded for i in range(MAX_DISCLOSURES + 1)]
    with pytest.raises(DisclosureError, match="at most 32"):
        parse_disclosures(many)
    assert len(parse_disclosures(many[:MAX_DISCLOSURES])) == MAX_DISCLOSURES
