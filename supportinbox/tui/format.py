"""Small text helpers for the screens: ages and local times."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 string from the cache as an aware datetime (naive values are UTC)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def age(since: str | None, now: datetime) -> str:
    """How long ago ``since`` was, in the two largest units: ``3d 4h``, ``2h 05m``, ``7m``."""
    moment = parse_time(since)
    if moment is None:
        return "—"
    minutes = max(int((now - moment).total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"


def local_time(value: str | None) -> str:
    """A cached UTC time shown in the local zone, minute precision."""
    moment = parse_time(value)
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
