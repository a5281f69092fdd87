"""Words for counts, times and example times that messages and help texts show.

Examples are computed from the clock, so a help text never suggests a time that has
already passed. Times stored in UTC are shown in the local zone, never as raw ISO text.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken as UTC (what the cache and the team scheme store)."""
    if moment.tzinfo is UTC:  # the common case: the cache writes UTC
        return moment
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """The cache's time format: ISO 8601 UTC to the second (sorts as text)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="seconds")


def now_utc(now: datetime | None) -> datetime:
    """``now`` as an aware UTC datetime (the current time when None)."""
    return datetime.now(UTC) if now is None else as_utc(now)


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time (from the cache, a keyword, the outbox) as an aware UTC datetime;
    None when empty or unreadable. Every stored time is read through here."""
    if not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def local_time(value: str | None) -> str:
    """A cached UTC time shown in the local zone, minute precision."""
    moment = parse_time(value)
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def day_words(moment: datetime) -> str:
    """``Mon 14 Dec``: a day as the reasons and follow-ups say it (``moment`` in the zone wanted)."""
    return f"{moment:%a} {moment.day} {moment:%b}"


#: A moment less than this long ago reads "just now", and a span this short "just now" too.
RECENT = timedelta(minutes=1)
JUST_NOW = "just now"


def when_words(moment: datetime | str | None, now: datetime | None = None, *, ahead: bool = False) -> str:
    """A moment as every sentence and column says it, in the local zone: ``just now`` (in the
    last minute), ``today 17:00``, ``yesterday 09:30``, ``tomorrow 09:00``, else ``Mon 14 Dec
    09:00``; ``""`` for no readable moment (a stored time is read with :func:`parse_time`).

    ``ahead``: a time from which something happens (a next try, a scheduled send) is said as
    the first whole minute it has come, never "just now": due at 10:41:14 is "10:42", so a
    sync run at the minute shown finds it due.
    """
    when = parse_time(moment) if moment is None or isinstance(moment, str) else as_utc(moment)
    if when is None:
        return ""
    clock = now_utc(now)
    if ahead:
        if when.second or when.microsecond:
            when = when.replace(second=0, microsecond=0) + timedelta(minutes=1)
    elif timedelta(0) <= clock - when < RECENT:
        return JUST_NOW
    local, today = when.astimezone(), clock.astimezone().date()
    near = {today: "today", today - timedelta(days=1): "yesterday", today + timedelta(days=1): "tomorrow"}
    day = near.get(local.date()) or day_words(local)
    return f"{day} {local:%H:%M}"


def age_words(span: timedelta, ago: str = "") -> str:
    """How long since a moment, as a column or a sentence says it: ``just now`` within the
    first minute (or for a moment a little ahead of the clock: there is no "-1m"), else
    :func:`duration` and ``ago`` (``12m``, ``3h 05m ago``)."""
    return JUST_NOW if span < RECENT else duration(span) + ago


# A moment inside a stored sentence (a held reply's reason): ISO 8601 UTC to the second, so
# the sentence is said in the reader's clock when it is shown, not the writer's when kept.
# An "at " before it (as kept until when_words said every moment) is part of the moment.
_STAMP = re.compile(r"(?:\bat )?\b(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))")


def stamp(value: str | None) -> str:
    """A moment to put in a sentence that is kept: :func:`said_now` says it when shown
    (empty when ``value`` is no readable time)."""
    return iso(parse_time(value)) or ""


def said_now(text: str, now: datetime | None = None) -> str:
    """A stored sentence with each moment :func:`stamp` put in it said by :func:`when_words`, now."""
    return _STAMP.sub(lambda m: when_words(m.group(1), now) or m.group(0), text)


def duration(span: timedelta) -> str:
    """How long, as every command and screen says it: ``45m``, ``3h 05m``, ``1h``, ``2d 4h``,
    ``1d`` (the two largest units of whole minutes; a second unit of zero is left out)."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins:02d}m" if mins else f"{hours}h"
    return f"{mins}m"


def span_words(span: timedelta) -> str:
    """How long a burst lasted, for a sentence: ``within a minute``, ``in 12m``, ``in 2h 10m``
    (a part of a minute counts as one: a burst of 12 minutes and 5 seconds took 13)."""
    seconds = span.total_seconds()
    if seconds < 60:
        return "within a minute"
    return f"in {duration(timedelta(minutes=math.ceil(seconds / 60)))}"


def count_of(number: int, word: str, plural: str | None = None) -> str:
    """``1 message``, ``2 messages``, ``1,200 replies`` (with ``plural`` for irregular words)."""
    return f"{number:,} {word if number == 1 else plural or word + 's'}"


# The times a user may type for "later" (reply --send-at, snooze, follow-up), parsed by
# supportinbox.domain.sendtime.parse_send_time; kept here, where the command line reads them
# without loading the business-hours calendar.
# No fixed date among them: help text and placeholders must not suggest a day long past.
EXAMPLES = "09:00, tomorrow 9:30, fri, 2h, YYYY-MM-DD 09:00"
DAY_STARTS = "09:00"  # what a day named without a time means


def example_wake_up(now: datetime) -> datetime:
    """A snooze time worth showing in help: next Monday 09:00 in ``now``'s zone, always ahead."""
    days = (7 - now.weekday()) % 7 or 7
    return (now + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)


_SPAN = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_span(text: str) -> timedelta | None:
    """A positive duration written ``30m``, ``4h``, ``3d`` or ``2w``; ``None`` if it is not one."""
    match = _SPAN.match(text)
    if not match or int(match.group(1)) <= 0:
        return None
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
