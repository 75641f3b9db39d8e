"""The elevator's file (一机一档, /console/elevators/{code}): identities, responsibility, history,
replay.

SCAFFOLD (issue #13): routes to come."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
