"""Small text helpers for the screens: ages and local times."""

from __future__ import annotations

from datetime import datetime

from supportinbox.domain.report import format_seconds
from supportinbox.domain.when import local_time, parse_time

__all__ = ["age", "local_time", "parse_time"]


def age(since: str | None, now: datetime) -> str:
    """How long ago ``since`` was, in the two largest units: ``3d 4h``, ``2h 05m``, ``7m``."""
    moment = parse_time(since)
    if moment is None:
        return "—"
    return format_seconds((now - moment).total_seconds())
