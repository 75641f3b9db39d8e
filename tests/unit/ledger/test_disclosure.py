"""Selective disclosure: salted digests in the signed document, values beside it (RFC 9901
encoding)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.disclosure import (
    CONCEALED,
    Disclosure,
    DisclosureError,
    check_concealed,
    conceal,
    concealed_digest,
    reveal,
)

PATHS = ["technicians.*.name", "technicians.*.certificate_number", "confirmed_by"]


def record() -> dict[str, Any]:
    return {
        "visit_id": "V-1",
        "technicians": [
            {"name": "张三", "certificate_number": "T-1"},
            {"name": "李四", "certificate_number": "T-2"},
        ],
        "confirmed_by": "王五",
    }


def test_the_rfc_9901_example_disclosure_has_the_rfc_digest() -> None:
    # RFC 9901 §4.2.1 and §4.2.3: the digest is over the string as received, not a re-encoding
    encoded = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
    d = Disclosure.parse(encoded)
    assert (d.salt, d.name, d.value) == ("_26bc4LT-ac6q2KI6cBW5es", "family_name", "Möbius")
    assert d.digest == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"


def test_concealing_replaces_each_value_by_a_digest_and_revealing_restores_it() -> None:
    concealed, disclosures = conceal(record(), PATHS)
    assert len(disclosures) == 5
    assert "张三" not in str(concealed) and "T-1" not in str(concealed)
    assert concealed["visit_id"] == "V-1"  # other fields untouched
    assert check_concealed(concealed, PATHS) == [d.digest for d in disclosures]
    assert reveal(concealed, PATHS, disclosures) == record()
    assert reveal(concealed, PATHS, list(reversed(disclosures))) == record()  # any order


def test_equal_values_get_unrelated_digests() -> None:
    a, _ = conceal({"confirmed_by": "王五"}, ["confirmed_by"])
    b, _ = conceal({"confirmed_by": "王五"}, ["confirmed_by"])
    assert a != b  # a fresh 128-bit salt each time: a digest cannot be matched to a guess


def test_absent_and_null_fields_are_left_alone() -> None:
    doc: dict[str, Any] = {"complainant_contact": None, "technicians": []}
    concealed, disclosures = conceal(doc, ["complainant_contact", "technicians.*.name", "x.y"])
    assert (concealed, disclosures) == (doc, [])
    assert reveal(concealed, ["complainant_contact"], []) == doc


def test_a_value_in_the_clear_is_refused_where_a_digest_belongs() -> None:
    with pytest.raises(DisclosureError, match=r"data\.technicians\[1\]\.name: must be concealed"):
        check_concealed(
            {"technicians": [{"name": {CONCEALED: "A" * 43}}, {"name": "李四"}]},
            ["technicians.*.name"],
            "data.",
        )
    with pytest.raises(DisclosureError, match="must be concealed"):
        reveal(record(), PATHS, [])


def test_every_concealed_field_needs_its_own_disclosure() -> None:
    concealed, disclosures = conceal(record(), PATHS)
    with pytest.raises(
        DisclosureError, match=r"technicians\[0\]\.certificate_number: no disclosure"
    ):
        reveal(concealed, PATHS, [d for d in disclosures if d.value != "T-1"])


def test_a_disclosure_cannot_be_moved_to_another_field() -> None:
    concealed, disclosures = conceal(record(), PATHS)
    name_of_first = next(d for d in disclosures if d.value == "张三")
    # the certificate's digest replaced by the name's: the disclosure names "name"
    concealed["technicians"][0]["certificate_number"] = {CONCEALED: name_of_first.digest}
    concealed["technicians"][0]["name"] = {CONCEALED: name_of_first.digest}
    with pytest.raises(DisclosureError):
        reveal(concealed, PATHS, disclosures)
    certificates = ["technicians.*.certificate_number"]
    moved, disclosures = conceal(record(), PATHS)
    moved["technicians"][0]["certificate_number"] = moved["technicians"][0]["name"]
    offered = [d for d in disclosures if d.value in ("张三", "T-2")]
    with pytest.raises(DisclosureError, match="the disclosure names 'name', not 'certificate_nu"):
        reveal(moved, certificates, offered)


def test_disclosures_that_belong_to_no_field_or_repeat_are_refused() -> None:
    concealed, disclosures = conceal(record(), PATHS)
    stray = Disclosure.make("confirmed_by", "赵六")
    with pytest.raises(DisclosureError, match=r"disclosures\[5\]: matches no concealed field"):
        reveal(concealed, PATHS, [*disclosures, stray])
    with pytest.raises(DisclosureError, match=r"disclosures\[5\]: the same disclosure is given"):
        reveal(concealed, PATHS, [*disclosures, disclosures[0]])


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        (42, "base64url string"),
        ("abc=", "base64url string"),  # padding
        ("a+b/", "base64url string"),  # standard alphabet
        ("bm90IGpzb24", "decode to JSON"),  # "not json"
        ("WzEsMiwzXQ", "the JSON array"),  # [1,2,3]
        ("WyJzaG9ydCIsIm4iLCJ2Il0", "128 random bits"),  # ["short","n","v"]
        ("A" * 5000, "at most"),
    ],
)
def test_malformed_disclosures_are_refused(encoded: Any, message: str) -> None:
    with pytest.raises(DisclosureError, match=message):
        Disclosure.parse(encoded, "disclosures[0]")


def test_only_a_well_formed_digest_object_counts_as_concealed() -> None:
    good = Disclosure.make("n", "v").digest
    assert concealed_digest({CONCEALED: good}) == good
    for value in ({CONCEALED: good[:-1]}, {CONCEALED: good, "x": 1}, {"digest": good}, good):
        assert concealed_digest(value) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(st.lists(st.fixed_dictionaries({"name": json_values, "other": json_values}), max_size=4))
def test_any_json_value_survives_concealing_and_revealing(people: list[dict[str, Any]]) -> None:
    doc = {"people": people}
    concealed, disclosures = conceal(doc, ["people.*.name"])
    assert len(disclosures) == sum(1 for p in people if p["name"] is not None)
    assert [Disclosure.parse(d.encoded) for d in disclosures] == disclosures
    assert reveal(concealed, ["people.*.name"], disclosures) == doc
