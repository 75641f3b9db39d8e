"""Canonical JSON (RFC 8785, JCS).

Signed statements and ledger entries are hashed as bytes, so every producer must
serialize the same document to the same bytes. The fast path uses orjson with
sorted keys; it agrees with JCS exactly when the document has no floats, no
integers beyond the IEEE-754 safe range and no keys outside the Basic
Multilingual Plane (orjson sorts by UTF-8, JCS by UTF-16 code units). Anything
else goes through the reference implementation (``rfc8785``). The equality of
the two paths is a hypothesis property in the test suite.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

_SAFE_INT = 2**53 - 1


class NotCanonicalizable(ValueError):
    """The value cannot be expressed as I-JSON (e.g. NaN, huge ints, non-str keys)."""


def _plain_ok(value: Any) -> bool:
    """:func:`_fast_path_ok` for what parsed JSON is made of (exact dict, list, str, int,
    bool, None), several times faster; False for anything else (then the general check
    decides). Recursive: a document nested deeper than the stack allows is left to it too."""
    kind = type(value)
    if kind is dict:
        for key in value:
            if type(key) is not str or not (key.isascii() or max(key) <= "\uffff"):
                return False
        items = value.values()
    elif kind is list:
        items = value
    else:
        return kind is str or value is None or kind is bool or _safe_int(value)
    for item in items:
        sub = type(item)
        if sub is str or item is None or sub is bool:
            continue
        if sub is int:
            if not -_SAFE_INT <= item <= _SAFE_INT:
                return False
        elif not _plain_ok(item):
            return False
    return True


def _safe_int(value: Any) -> bool:
    return type(value) is int and -_SAFE_INT <= value <= _SAFE_INT


def _fast_path_ok(value: Any) -> bool:
    """True when orjson's sorted output is byte-identical to JCS for ``value``."""
    try:
        if _plain_ok(value):
            return True
    except RecursionError:
        pass
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, sub in item.items():
                if not isinstance(key, str) or not (key.isascii() or max(key) <= "\uffff"):
                    return False
                stack.append(sub)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        elif isinstance(item, int):
            if not -_SAFE_INT <= item <= _SAFE_INT:
                return False
        else:
            return False
    return True


def canonical_json(value: Any) -> bytes:
    """Serialize ``value`` as RFC 8785 canonical JSON bytes."""
    if _fast_path_ok(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError as exc:  # e.g. a lone surrogate in a string
            raise NotCanonicalizable(str(exc)) from exc
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise NotCanonicalizable(str(exc)) from exc


def canonical_json_reference(value: Any) -> bytes:
    """The pure reference implementation, for tests and auditors."""
    return bytes(rfc8785.dumps(value))


def is_canonical(data: bytes) -> bool:
    """True when ``data`` is valid JSON already in canonical form."""
    try:
        return canonical_json(orjson.loads(data)) == data
    except (orjson.JSONDecodeError, NotCanonicalizable):
        return False
