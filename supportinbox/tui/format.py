"""Small text helpers for the screens: ages and local times."""

from __future__ import annotations

from datetime import UTC, datetime

from supportinbox.domain.report import format_seconds


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
    return format_seconds((now - moment).total_seconds())


def local_time(value: str | None) -> str:
    """A cached UTC time shown in the local zone, minute precision."""
    moment = parse_time(value)
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
