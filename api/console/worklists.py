"""The console's work lists (/console/lists/...): names and codes, sorting, filters, paging, CSV
and Excel exports.

SCAFFOLD (issue #13): routes to come."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
