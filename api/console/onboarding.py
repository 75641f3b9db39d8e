"""Onboarding an enterprise (/console/onboarding): statements prepared for offline signing,
envelopes accepted back.

SCAFFOLD (issue #13): routes to come."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
