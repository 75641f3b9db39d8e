"""Signing in and out of the console and the desk; staff accounts.

SCAFFOLD (issue #13): routes to come."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
