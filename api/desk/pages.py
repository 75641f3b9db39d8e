"""The enterprise desk's pages (/desk): our elevators, what is due, our statements, keys and
rejected submissions.

SCAFFOLD (issue #13): routes to come."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
