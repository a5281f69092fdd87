"""Small text helpers for the screens: ages, local times, and inert Rich text from mail."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

from supportinbox.domain.safetext import clean, is_rtl, one_line


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


def inert(text: str | None, style: str = "") -> Text:
    """Text from mail as a Rich ``Text``: escapes removed, markup never interpreted."""
    return Text(clean(text), style=style)


def inert_line(text: str | None, *, limit: int | None = None, style: str = "") -> Text:
    """One line of text from mail, inert; right-to-left lines are marked for the terminal."""
    line = one_line(text, limit=limit)
    return Text(line, style=style, justify="right" if is_rtl(line) and limit is None else None)
