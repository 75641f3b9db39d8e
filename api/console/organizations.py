"""Organizations and their scorecards (/console/organizations/...), entries and reveals of personal
data.

SCAFFOLD (issue #13): routes to come."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
