"""Notices (compose, preview, schedule, live progress), outages (inhibitions) and care pairings."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
