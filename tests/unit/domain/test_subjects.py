"""A subject reference is read from, and written back to, exactly the form an entry's ``subject``
field carries: ``elevator:<equipment code>`` or ``organization:<USCC>``; any other text is
refused with an error that says what was expected."""

from __future__ import annotations

import pytest

from domain.model.catalogue import EXAMPLE_ELEVATOR, Subject
from domain.model.subjects import SubjectError, SubjectRef

USCC = "91430900MA4L000001"


def test_an_elevator_reference_is_the_wire_form_of_its_equipment_code() -> None:
    ref = SubjectRef.elevator(EXAMPLE_ELEVATOR)
    assert (ref.kind, ref.id) == (Subject.ELEVATOR, EXAMPLE_ELEVATOR)
    assert str(ref) == f"elevator:{EXAMPLE_ELEVATOR}"


def test_an_organization_reference_is_the_wire_form_of_its_uscc() -> None:
    ref = SubjectRef.organization(USCC)
    assert (ref.kind, ref.id) == (Subject.ORGANIZATION, USCC)
    assert str(ref) == f"organization:{USCC}"


@pytest.mark.parametrize(
    "ref", [SubjectRef.elevator(EXAMPLE_ELEVATOR), SubjectRef.organization(USCC)]
)
def test_parsing_the_wire_form_gives_the_reference_back(ref: SubjectRef) -> None:
    assert SubjectRef.parse(str(ref)) == ref


def test_only_the_first_colon_separates_kind_from_id() -> None:
    assert SubjectRef.parse("elevator:a:b").id == "a:b"


@pytest.mark.parametrize(
    "text", ["", "elevator", "elevator:", ":3110", "key:abc", "Elevator:3110", "terminal:3110"]
)
def test_other_text_is_refused_saying_what_a_reference_looks_like(text: str) -> None:
    with pytest.raises(SubjectError, match=r"not a subject reference.*elevator:<equipment code>"):
        SubjectRef.parse(text)


def test_a_refusal_is_a_value_error_as_a_malformed_subject_always_was() -> None:
    with pytest.raises(ValueError):
        SubjectRef.parse("no colon")


def test_references_are_values() -> None:
    assert SubjectRef.elevator("3110") == SubjectRef.parse("elevator:3110")
    assert SubjectRef.elevator("3110") != SubjectRef.organization("3110")
    assert len({SubjectRef.elevator("3110"), SubjectRef.parse("elevator:3110")}) == 1
