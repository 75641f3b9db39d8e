"""The elevator's file as a download (/console/elevators/{code}/bundle) that verify checks offline.

SCAFFOLD (issue #13): routes to come."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
