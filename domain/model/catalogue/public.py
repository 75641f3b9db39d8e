"""The public view of a statement: what anyone may see, every personal field removed."""

from __future__ import annotations

import copy
from typing import Any

from domain.model.catalogue.registry import statement_type
from domain.model.catalogue.statement import Statement


def _strip(node: Any, path: list[str]) -> None:
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(node, list):
            for item in node:
                if rest:
                    _strip(item, rest)
        return
    if not isinstance(node, dict) or head not in node:
        return
    if rest:
        _strip(node[head], rest)
    else:
        del node[head]


def public_view(stmt: Statement) -> dict[str, Any]:
    """The statement as a JSON-ready dict with every personal field of its type removed.

    Absent optional envelope fields (``prev``, the unused subject field) are left out.
    """
    view = stmt.model_dump(mode="json")
    view = {k: v for k, v in view.items() if v is not None}
    data = copy.deepcopy(view["data"])
    for dotted in statement_type(stmt.type).personal_fields:
        _strip(data, dotted.split("."))
    view["data"] = data
    return view
