"""Words for counts and example times that the help texts show.

Examples are computed from the clock, so a help text never suggests a time that has
already passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def count_of(number: int, word: str, plural: str | None = None) -> str:
    """``1 message``, ``2 messages``, ``1,200 replies`` (with ``plural`` for irregular words)."""
    return f"{number:,} {word if number == 1 else plural or word + 's'}"


def example_wake_up(now: datetime) -> datetime:
    """A snooze time worth showing in help: next Monday 09:00 in ``now``'s zone, always ahead."""
    days = (7 - now.weekday()) % 7 or 7
    return (now + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
