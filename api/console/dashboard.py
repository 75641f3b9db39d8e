"""The console's dashboard (/console): every work list's count and the charts, for the user's
districts.

SCAFFOLD (issue #13): routes to come."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
