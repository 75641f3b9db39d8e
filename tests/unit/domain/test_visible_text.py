"""Text cannot deceive: a character that reorders, hides or overwrites text is refused in every
string of a statement, naming the field and the code point; visible text of any script is
accepted (domain/model/catalogue/visible.py)."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic_core import to_json

from domain.model.catalogue import CATALOGUE, Statement, example_statement
from domain.model.catalogue.visible import refused_character, surely_visible
from domain.model.personal import check_personal, conceal_statement

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ALL_CF = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
C0_C1 = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if chr(c) not in "\t\n\r"]


def errors_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        Statement.model_validate_json(orjson.dumps(doc))
    return [
        {"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]} for e in caught.value.errors()
    ]


def sold_to(buyer_name: str) -> dict[str, Any]:
    doc = example_statement("elevator.sold")
    doc["data"]["buyer_name"] = buyer_name
    return doc


def refusal(ch: str) -> str:
    """The one error of a buyer's name holding ``ch`` between two words."""
    errors = errors_of(sold_to(f"物业{ch}公司"))
    assert [e["loc"] for e in errors] == ["data.buyer_name"], errors
    msg: str = errors[0]["msg"]
    assert f"U+{ord(ch):04X}" in msg, msg
    return msg


@pytest.mark.parametrize("ch", BIDI, ids=lambda c: f"U+{ord(c):04X}")
def test_bidirectional_controls_are_refused(ch: str) -> None:
    assert "a bidirectional control" in refusal(ch)


def test_every_invisible_format_character_is_refused() -> None:
    assert {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"} <= set(ALL_CF)
    for ch in ALL_CF:
        assert refused_character(f"a{ch}b") is not None, f"U+{ord(ch):04X}"
        if ch not in BIDI:
            assert "an invisible format character" in refusal(ch)


@pytest.mark.parametrize("ch", C0_C1, ids=lambda c: f"U+{ord(c):04X}")
def test_c0_and_c1_control_characters_are_refused(ch: str) -> None:
    assert "a control character" in refusal(ch)


@pytest.mark.parametrize("ch", ["\u2028", "\u2029"], ids=["line", "paragraph"])
def test_line_and_paragraph_separators_are_refused(ch: str) -> None:
    assert "separator" in refusal(ch)


def test_the_message_names_the_code_point_and_the_character() -> None:
    msg = refusal("\u202e")
    assert msg.startswith("U+202E RIGHT-TO-LEFT OVERRIDE (a bidirectional control)"), msg


@pytest.mark.parametrize("ch", ["\t", "\n", "\r"], ids=["tab", "line-feed", "return"])
def test_free_text_may_hold_tab_line_feed_and_return_a_name_may_not(ch: str) -> None:
    doc = example_statement("complaint.resolved")
    doc["data"]["resolution"] = f"已检修{ch}异响消除"
    Statement.model_validate_json(orjson.dumps(doc))  # Text: its line structure
    errors = errors_of(sold_to(f"物业{ch}公司"))  # Name: a return overwrites, a tab hides
    assert "data.buyer_name" in [e["loc"] for e in errors], errors


@pytest.mark.parametrize(
    "text",
    [
        "上海市浦东新区\u3000张江路 1 号",  # ideographic space
        "Müller\u00a0GmbH",  # no-break space
        "שלום עולם",  # right-to-left letters are text, not controls
        "مصعد",
        "电梯 🛗 正常",
        "\ue000",  # private use: shown as what it is, not hidden
    ],
)
def test_visible_text_of_any_script_is_accepted(text: str) -> None:
    Statement.model_validate_json(orjson.dumps(sold_to(text)))


@pytest.mark.parametrize(
    "ch", ["\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u17b4", "\u180b", "\u2800"]
)
def test_characters_that_show_nothing_are_refused_though_printable(ch: str) -> None:
    """Printable by Python's measure (combining, letters, a symbol) yet blank: an identifier
    with one looks like one without it."""
    assert ch.isprintable()
    why = refused_character(f"PASS-0{ch}1")
    assert why is not None and f"U+{ord(ch):04X}" in why
    assert not surely_visible(orjson.dumps({"note": f"A{ch}B"}))
    assert "buyer_name" in " ".join(e["loc"] for e in errors_of(sold_to(f"益阳{ch}物业")))


@pytest.mark.parametrize("selector", ["\ufe0f", "\ufe00", "\U000e0100"])
def test_a_variation_selector_only_follows_what_it_can_vary(selector: str) -> None:
    """After an emoji or an ideograph it selects a form (accepted); after an ASCII character,
    a space, another selector or at the start it only hides a difference (refused)."""
    assert refused_character(f"电梯❤{selector}正常") is None
    assert refused_character(f"葛{selector}") is None
    for hidden in (f"PASS-0{selector}1", f"{selector}A", f"A {selector}", f"❤\ufe0f{selector}"):
        assert refused_character(hidden) is not None, hidden


def string_locs(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, str):
        yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_locs(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from string_locs(item, (*loc, i))


def with_text_at(doc: Any, loc: tuple[str | int, ...], ch: str) -> Any:
    if not loc:
        return f"{doc[:1]}{ch}{doc[1:]}"
    if isinstance(doc, dict):
        return {k: with_text_at(v, loc[1:], ch) if k == loc[0] else v for k, v in doc.items()}
    return [with_text_at(v, loc[1:], ch) if i == loc[0] else v for i, v in enumerate(doc)]


CASES = [
    (name, loc)
    for name in CATALOGUE
    for loc in string_locs(example_statement(name)["data"], ("data",))
]


@pytest.mark.parametrize("name, loc", CASES, ids=[f"{n}:{'.'.join(map(str, p))}" for n, p in CASES])
def test_every_string_of_every_statement_type_refuses_a_bidirectional_control(
    name: str, loc: tuple[str | int, ...]
) -> None:
    """Identifiers, enumerations, names, references and free text, in nested models and
    lists: whatever the field's type, an RLO is refused there, and the field named."""
    doc = with_text_at(example_statement(name), loc, "\u202e")
    assert ".".join(map(str, loc)) in [e["loc"] for e in errors_of(doc)]


@pytest.mark.parametrize("field", ["type", "nonce", "issuer", "elevator"])
def test_the_statements_own_strings_refuse_a_bidirectional_control(field: str) -> None:
    doc = example_statement("elevator.sold")
    doc[field] = with_text_at(doc[field], (), "\u202e")
    assert field in [e["loc"] for e in errors_of(doc)]


def test_a_disclosed_personal_value_is_checked_like_any_other() -> None:
    doc = example_statement("complaint.received")
    doc["data"]["complainant_contact"] = "138\u202e0000"
    concealed, disclosures = conceal_statement(doc)
    stmt = Statement.model_validate(concealed)  # signed as a digest: nothing to see yet
    errors = check_personal(stmt, disclosures)
    assert [e["loc"] for e in errors] == ["data.complainant_contact"], errors
    assert "U+202E" in errors[0]["msg"]


@given(st.text())
def test_the_fast_path_passes_only_text_the_character_check_passes(text: str) -> None:
    try:
        raw = to_json({"note": text})
    except ValueError:  # a lone surrogate cannot even be written as JSON
        return
    if surely_visible(raw):
        assert refused_character(text) is None
