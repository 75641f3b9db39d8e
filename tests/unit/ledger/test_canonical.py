"""Canonical JSON: the fast path agrees with the RFC 8785 reference everywhere."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import (
    NotCanonicalizable,
    canonical_json,
    canonical_json_reference,
    is_canonical,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def _valid(doc: Any) -> bool:
    try:
        canonical_json_reference(doc)
    except Exception:
        return False
    return True


@settings(max_examples=400)
@given(documents)
def test_fast_path_equals_the_reference_implementation(doc: Any) -> None:
    if _valid(doc):
        assert canonical_json(doc) == canonical_json_reference(doc)


def test_rfc8785_sorting_by_utf16_code_units() -> None:
    # U+1F600 sorts before U+FB33 in UTF-16 (surrogate D83D < FB33) but after it in UTF-8.
    doc = {"\ufb33": 1, "\U0001f600": 2}
    assert canonical_json(doc) == canonical_json_reference(doc)
    assert canonical_json(doc).index("😀".encode()) < canonical_json(doc).index("\ufb33".encode())


def test_rfc8785_number_serialization() -> None:
    assert canonical_json([1e21, 1e-7, 0.1, -0.0, 2**53 - 1]) == (
        b"[1e+21,1e-7,0.1,0,9007199254740991]"
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, 2**64, {1: "x"}, "\ud800"])
def test_values_outside_i_json_are_refused(bad: Any) -> None:
    with pytest.raises(NotCanonicalizable):
        canonical_json(bad)


def test_is_canonical_spots_reordered_or_spaced_json() -> None:
    assert is_canonical(b'{"a":1,"b":[true,null]}')
    assert not is_canonical(b'{"b":1,"a":2}')
    assert not is_canonical(b'{"a": 1}')
    assert not is_canonical(b"{oops")


def _canonical_by_definition(data: bytes) -> bool:
    """What ``is_canonical`` must answer: the reference JCS of the parsed text is the text."""
    try:
        return canonical_json_reference(orjson.loads(data)) == data
    except Exception:
        return False


texts = documents.flatmap(
    lambda doc: st.sampled_from(
        [
            orjson.dumps(doc, option=orjson.OPT_SORT_KEYS),
            orjson.dumps(doc),
            *([canonical_json_reference(doc)] if _valid(doc) else []),
        ]
    )
)


@settings(max_examples=600)
@given(texts)
def test_is_canonical_agrees_with_the_reference_on_any_text(data: bytes) -> None:
    assert is_canonical(data) == _canonical_by_definition(data)


@pytest.mark.parametrize(
    "data",
    [
        b"1e20",  # orjson and JCS write this number differently
        b"[1e20]",
        b'{"a":1e20}',
        b'{"a":1.5}',
        b"100000000000000000000",
        b"[9007199254740993]",  # beyond the safe range
        b'{"a":"2025-03-01T14:05:00.5+08:00","b":[1,2.0]}',
        '{"\ufb33":1,"\U0001f600":2}'.encode(),  # keys outside the BMP: orders differ
        '{"\U0001f600":2,"\ufb33":1}'.encode(),
        b'{"a":"12:34.5","b":1}',  # looks like a number inside a string
        b'{"a":-0}',
        b'"\\ud800"',
    ],
)
def test_is_canonical_on_texts_where_orjson_and_jcs_differ(data: bytes) -> None:
    assert is_canonical(data) == _canonical_by_definition(data)


def test_a_document_nested_deeper_than_the_stack_gets_the_same_answer() -> None:
    deep: Any = "x"
    for _ in range(5000):  # deeper than Python's recursion limit and orjson's depth limit
        deep = [deep]
    with pytest.raises(NotCanonicalizable):
        canonical_json(deep)
    assert not is_canonical(b"[" * 300 + b"]" * 300)


@pytest.mark.parametrize(
    "doc",
    [
        {"a": [1, {"b": 2**53}]},  # beyond the safe range, deep inside
        {"a": [1.5]},
        {"\U0001f600": {"\ufb33": 1}},
        ("tuple", "elements"),
        {"a": True, "b": None, "c": -(2**53) + 1},
    ],
)
def test_fast_check_and_reference_agree_on_edge_documents(doc: Any) -> None:
    if _valid(doc):
        assert canonical_json(doc) == canonical_json_reference(doc)
    else:
        with pytest.raises(NotCanonicalizable):
            canonical_json(doc)
