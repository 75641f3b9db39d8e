"""Layout checks for browser tests: what a reader sees break where it must not."""

from __future__ import annotations

from typing import Any

#: The text of every element matching the selector whose text the browser laid out on more than
#: one line (a range over its contents has one client rectangle per line box it spans).
_BROKEN = """selector => [...document.querySelectorAll(selector)].filter(el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return tops.size > 1;
}).map(el => el.textContent.trim())"""


def broken(page: Any, selector: str) -> list[str]:
    """The texts of the elements matching ``selector`` that wrap onto a second line."""
    found: list[str] = page.evaluate(_BROKEN, selector)
    return found
