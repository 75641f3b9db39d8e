"""Text that shows what it says: no character in a signed statement may change how the rest
is displayed, or be there without being seen.

A right-to-left override turns ``PASS-2024-01`` into what reads as another number; a zero-width
space makes two identifiers that look the same differ; an escape sequence recolours a terminal.
Every string of a statement, identifiers, names and free text alike, is refused at intake if it
holds one of:

- a bidirectional control (U+202A-202E, U+2066-2069, U+200E/200F, U+061C);
- another invisible format character, Unicode category Cf (U+200B-200D, U+2060, U+FEFF,
  U+00AD...);
- a control character, category Cc (C0, DEL, C1); only a field typed as free text
  (:data:`MULTILINE` in its annotation, as ``Text`` has) may hold tab, line feed and carriage
  return, its line structure: in a name or an identifier a carriage return overwrites what a
  terminal showed before it;
- a line or paragraph separator (U+2028/2029) or a lone surrogate;
- a character that Python deems printable but that shows nothing: the combining grapheme
  joiner U+034F, the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the Khmer inherent vowels
  U+17B4/17B5, Mongolian free variation selectors (U+180B-180D, U+180F) and the blank Braille
  pattern U+2800 (Unicode's Default_Ignorable code points outside Cf, and a blank that is a
  symbol); and a variation selector (U+FE00-FE0F, U+E0100-E01EF) anywhere but right after a
  letter or symbol outside ASCII (an emoji or an ideograph it selects a form of): after
  ``0`` in ``PASS-01`` it only makes two identifiers that look the same differ.

:func:`invisible_fields` applies the rule to every string of a validated ``data`` model, its
nested models and lists included, whatever the field's type, so no field can be forgotten;
the catalogue runs it wherever ``data`` is validated (``_validate_data`` for the signed
statement, and :mod:`domain.model.personal` for disclosed values). The statement's own fields are
ASCII by their patterns. The common case costs two C calls per statement: the JSON the data was
validated from has no backslash (JSON writes every control as an escape) and
``str.isprintable`` is true of it, which holds exactly when no character is in Cc, Cf, Cs, Co,
Cn, Zl, Zp or Zs other than the space; only otherwise (a no-break or ideographic space, a line
feed...) are the strings looked at one by one.
"""

from __future__ import annotations

import functools
import re
import typing
import unicodedata
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BaseModel

#: Characters that reorder the text around them (Unicode's explicit directional formatting).
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
#: Printable by Python's measure, yet showing nothing (or joining what it sits between).
INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0")
_VARIATION_SELECTORS = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
#: What the printable fast path must also rule out: INVISIBLE and variation selectors.
_SUSPECT = re.compile(f"[{''.join(sorted(INVISIBLE))}{_VARIATION_SELECTORS}]")
_VARIATION = re.compile(f"[{_VARIATION_SELECTORS}]")
#: Controls a free text may hold: its line structure.
LINE_CONTROLS = frozenset("\t\n\r")
_NONE: frozenset[str] = frozenset()


class _Multiline:
    """Marks a string type as free text, which may hold :data:`LINE_CONTROLS`."""

    def __repr__(self) -> str:
        return "MULTILINE"


#: Put in a string type's ``Annotated`` metadata to let it hold tab, line feed and return.
MULTILINE = _Multiline()
_REFUSED_CATEGORIES = {
    "Cf": "an invisible format character",
    "Cc": "a control character",
    "Cs": "a lone surrogate",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}


def refused_character(text: str, allowed: frozenset[str] = _NONE) -> str | None:
    """Why ``text`` cannot be shown as it is signed, naming the first offending code point
    (``"U+202E RIGHT-TO-LEFT OVERRIDE (a bidirectional control)"``); None when it can.
    ``allowed``: controls to let through (:data:`LINE_CONTROLS` for free text)."""
    if text.isprintable() and _SUSPECT.search(text) is None:
        return None
    previous = ""
    for ch in text:
        before, previous = previous, ch
        if ch in INVISIBLE:
            kind = "a character that shows nothing"
        elif _VARIATION.match(ch):
            if _selects_a_form(before):
                continue
            kind = "a variation selector with no letter or symbol to vary"
        elif ch.isprintable() or ch in allowed:
            continue
        elif ch in BIDI_CONTROLS:
            kind = "a bidirectional control"
        else:
            found = _REFUSED_CATEGORIES.get(unicodedata.category(ch))
            if found is None:
                continue  # a no-break or ideographic space, private use, unassigned
            kind = found
        name = unicodedata.name(ch, "")
        return f"U+{ord(ch):04X}{' ' + name if name else ''} ({kind})"
    return None


def _selects_a_form(base: str) -> bool:
    """Whether a variation selector after ``base`` has a form to select: an emoji or an
    ideograph, a letter or symbol outside ASCII, not another selector or a space."""
    return (
        bool(base)
        and not base.isascii()
        and _VARIATION.match(base) is None
        and unicodedata.category(base)[0] in "LS"
    )


def _is_multiline(annotation: Any) -> bool:
    """Whether a field's type is, or holds (``Text | None``, ``list[Text]``), free text."""
    if typing.get_origin(annotation) is Annotated and any(
        m is MULTILINE for m in annotation.__metadata__
    ):
        return True
    return any(_is_multiline(arg) for arg in typing.get_args(annotation))


@functools.cache
def multiline_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` that may hold :data:`LINE_CONTROLS` (found once per model)."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if any(m is MULTILINE for m in field.metadata) or _is_multiline(field.annotation)
    )


Loc = tuple[str | int, ...]


def invisible_fields(model: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, str, str]]:
    """Every string of a validated model, its nested models and lists included, that holds a
    refused character: (where, why, the string)."""
    multiline = multiline_fields(type(model))
    for name, value in model.__dict__.items():
        allowed = LINE_CONTROLS if name in multiline else _NONE
        items = enumerate(value) if isinstance(value, list | tuple) else None
        if items is None:
            yield from _invisible(value, allowed, (*loc, name))
        else:
            for i, item in items:
                yield from _invisible(item, allowed, (*loc, name, i))


def _invisible(value: Any, allowed: frozenset[str], loc: Loc) -> Iterator[tuple[Loc, str, str]]:
    if isinstance(value, str):
        why = refused_character(value, allowed)
        if why is not None:
            yield loc, f"{why} is not allowed: text must show what it says", value
    elif isinstance(value, BaseModel):
        yield from invisible_fields(value, loc)


def surely_visible(json: bytes) -> bool:
    """True when no string in this JSON can hold a refused character: no escape (JSON writes
    controls as escapes) and nothing unprintable. The fast path: when it is false (a
    backslash, a no-break or ideographic space...), :func:`invisible_fields` decides."""
    if b"\\" in json:
        return False
    text = json.decode()
    return text.isprintable() and _SUSPECT.search(text) is None
