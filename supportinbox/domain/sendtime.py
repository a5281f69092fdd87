"""When a reply written now should leave: ``09:00``, ``tomorrow 9:30``, ``mon 09:00``, ``2h``.

Times without a zone are the user's local time, as the wall clock reads on that day: "mon
09:00" said on a Friday before a change to summer time is 09:00 summer time, not the hour
the clock showed on Friday. A clock time alone means its next occurrence (today if still
ahead, else tomorrow). The account's business hours can move
any of them to the next moment the team is at work (``--next-business-hour``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from supportinbox.config import HoursConfig, toml_key
from supportinbox.domain.hours import BusinessCalendar
from supportinbox.domain.when import DAY_STARTS as DAY_STARTS
from supportinbox.domain.when import EXAMPLES as EXAMPLES
from supportinbox.domain.when import parse_span
from supportinbox.errors import UsageProblem, UserError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^(?:(?P<day>today|tomorrow|[a-z]{3,9})\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})$")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def after(now: datetime, span: timedelta) -> datetime:
    """The send time ``span`` from ``now``: the whole minute it falls in, rounded up.

    A time with seconds was said one way and shown another: "leaves today 15:39" when it was
    scheduled, "scheduled 15:40" in the outbox (which names the first whole minute it has
    come). A send time is a whole minute, as a typed clock time already is.
    """
    moment = now.astimezone(UTC) + span
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment


def _weekday(word: str) -> int | None:
    for index, day in enumerate(_DAYS):
        full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[index]
        if word == day or (len(word) >= 3 and full.startswith(word)):
            return index
    return None


def parse_send_time(text: str, now: datetime) -> datetime | None:
    """The moment ``text`` names, in UTC, if it is one and lies ahead of ``now``; else ``None``.

    A day without a time (``tomorrow``, ``fri``, ``2026-12-14``) means its start of the
    working day, :data:`DAY_STARTS`. ``next fri`` is the coming Friday, never today (as the
    snooze box's "Next Monday 09:00").
    """
    wanted = " ".join(text.strip().lower().split())
    if not wanted:
        return None
    after_today = False
    first, _, rest = wanted.partition(" ")
    if first == "next" and _weekday(rest.split(" ")[0]) is not None:
        wanted, after_today = rest, True
    if wanted == "tomorrow" or _weekday(wanted) is not None or _DATE.match(wanted):
        wanted = f"{wanted} {DAY_STARTS}"
    span = parse_span(wanted.removeprefix("in "))
    if span is not None:
        return after(now, span)
    # Wall-clock arithmetic on the local date and time without an offset: ``astimezone``
    # then reads it in the zone's offset of that day (a fixed offset taken now would be an
    # hour off across a change to or from summer time).
    local = now.astimezone().replace(tzinfo=None)
    found = _CLOCK.match(wanted)
    if found:
        hour, minute = int(found["hour"]), int(found["minute"])
        if hour > 23 or minute > 59:
            return None
        day = found["day"]
        moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if day == "tomorrow":
            moment += timedelta(days=1)
        elif day is not None and day != "today":
            weekday = _weekday(day)
            if weekday is None:
                return None
            moment += timedelta(days=(weekday - local.weekday()) % 7)
            if moment <= local or (after_today and moment.date() == local.date()):
                moment += timedelta(days=7)
        elif day is None and moment <= local:
            moment += timedelta(days=1)
        return moment.astimezone(UTC) if moment > local else None
    try:
        moment = datetime.fromisoformat(wanted.upper().replace(" ", "T"))
    except ValueError:
        return None
    moment = moment.astimezone(UTC)  # without a zone: local, in that day's offset
    return moment if moment > now else None


def in_business_hours(moment: datetime, calendar: BusinessCalendar) -> datetime:
    """``moment``, or the next opening of the business hours if the team is not at work then."""
    return calendar.open_at(moment).astimezone(UTC)


def choose_send_time(
    *,
    at: str | None,
    within: str | None,
    next_business_hour: bool,
    hours: HoursConfig | None,
    now: datetime,
    account: str,
) -> datetime | None:
    """The moment a reply should leave from ``--send-at``/``--send-in``/``--next-business-hour``.

    ``account`` is the account's name in the config, which the error for missing hours names.

    ``None``: none of them was given (send at once). The business hours move the chosen
    time (or now) to the next moment the team is at work.
    """
    if at is not None and within is not None:
        raise UsageProblem("give --send-at or --send-in, not both")
    moment: datetime | None = None
    if at is not None:
        moment = parse_send_time(at, now)
        if moment is None:
            raise UsageProblem(f"--send-at {at!r} is not a time ahead: try {EXAMPLES}")
    elif within is not None:
        span = parse_span(within.strip())
        if span is None:
            raise UsageProblem(f"--send-in {within!r}: use a positive number and a unit, e.g. 30m, 2h, 1d")
        moment = after(now, span)
    if next_business_hour:
        if hours is None:
            raise UserError(
                f"--next-business-hour needs business hours: add [accounts.{toml_key(account)}.hours] "
                "to the config"
            )
        moment = in_business_hours(moment or now, BusinessCalendar(hours))
    return moment


BUSINESS_WORDS = ("next business hour", "business hours", "business")


def parse_send_choice(text: str, now: datetime, hours: HoursConfig | None) -> datetime | None:
    """What the send-later box accepts: a time for :func:`parse_send_time`, or (with business
    hours) ``next business hour``; ``None`` when it names no moment ahead."""
    wanted = " ".join(text.strip().lower().split())
    if hours is not None and wanted in BUSINESS_WORDS:
        moment = in_business_hours(now, BusinessCalendar(hours))
        return moment if moment > now else None
    return parse_send_time(text, now)
