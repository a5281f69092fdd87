"""Send later: the times a user types, and business hours moving them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportinbox.config import HoursConfig, Weekdays
from supportinbox.domain.hours import BusinessCalendar
from supportinbox.domain.sendtime import choose_send_time, parse_send_time
from supportinbox.domain.when import when_words
from supportinbox.errors import UserError

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = HoursConfig(timezone="Europe/Berlin", days=Weekdays(("mon", "tue", "wed", "thu", "fri")))


@pytest.fixture(autouse=True)
def berlin_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The user's local zone is Berlin (times without a zone are theirs)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


SUNDAY_10 = berlin(2026, 12, 6, 10, 0)  # a Sunday


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("09:00", berlin(2026, 12, 7, 9, 0)),  # already past today: tomorrow
        ("17:30", berlin(2026, 12, 6, 17, 30)),  # still ahead: today
        ("9.15", berlin(2026, 12, 7, 9, 15)),
        ("tomorrow 9:30", berlin(2026, 12, 7, 9, 30)),
        ("Mon 09:00", berlin(2026, 12, 7, 9, 0)),
        ("wednesday 14:00", berlin(2026, 12, 9, 14, 0)),
        ("sun 09:00", berlin(2026, 12, 13, 9, 0)),  # today's has passed: next week's
        ("2h", berlin(2026, 12, 6, 12, 0)),
        ("in 30m", berlin(2026, 12, 6, 10, 30)),
        ("2026-12-08 09:00", berlin(2026, 12, 8, 9, 0)),
        ("2026-12-08T08:00+00:00", berlin(2026, 12, 8, 9, 0)),
        # A day without a time: the start of the working day.
        ("tomorrow", berlin(2026, 12, 7, 9, 0)),
        ("fri", berlin(2026, 12, 11, 9, 0)),
        ("Sunday", berlin(2026, 12, 13, 9, 0)),  # today's 09:00 has passed
        ("2026-12-08", berlin(2026, 12, 8, 9, 0)),
        # "next" and a day, as the snooze box's "Next Monday 09:00": the coming one, never today.
        ("next friday", berlin(2026, 12, 11, 9, 0)),
        ("Next Mon", berlin(2026, 12, 7, 9, 0)),
        ("next sunday 17:00", berlin(2026, 12, 13, 17, 0)),  # today's 17:00 is still ahead
        ("next sun", berlin(2026, 12, 13, 9, 0)),
    ],
)
def test_a_typed_time_is_the_next_such_moment_in_local_time(typed: str, expected: datetime) -> None:
    found = parse_send_time(typed, SUNDAY_10)
    assert found == expected
    assert found is not None and found.tzinfo == UTC


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "soon",
        "25:00",
        "09:75",
        "2026-12-01 09:00",
        "today 08:00",
        "xyz 09:00",
        "2026-12-06",
        "today",
        "next",
        "next week",
        "next 09:00",
    ],
)
def test_what_is_not_a_time_ahead_is_refused(typed: str) -> None:
    assert parse_send_time(typed, SUNDAY_10) is None


def test_the_next_opening_of_the_business_hours() -> None:
    cal = BusinessCalendar(NINE_TO_FIVE)
    friday_evening = berlin(2026, 12, 4, 18, 0)
    assert cal.open_at(friday_evening) == berlin(2026, 12, 7, 9, 0)
    assert cal.open_at(berlin(2026, 12, 7, 7, 30)) == berlin(2026, 12, 7, 9, 0)
    inside = berlin(2026, 12, 7, 11, 12)
    assert cal.open_at(inside) == inside
    assert cal.open_at(berlin(2026, 12, 7, 17, 0)) == berlin(2026, 12, 8, 9, 0)  # closing time
    holidays = HoursConfig(timezone="Europe/Berlin", holidays="DE")
    # Thu 24 Dec evening: Fri 25 and Sat 26 are holidays, Sun 27 no working day.
    assert BusinessCalendar(holidays).open_at(berlin(2026, 12, 24, 18, 0)) == berlin(2026, 12, 28, 9, 0)
    assert BusinessCalendar(None).open_at(friday_evening) == friday_evening


def test_the_flags_give_one_moment() -> None:
    def choose(**kwargs: object) -> datetime | None:
        options: dict[str, object] = {"at": None, "within": None, "next_business_hour": False, "hours": None}
        options.update(kwargs)
        return choose_send_time(now=SUNDAY_10, account="acme-support", **options)  # type: ignore[arg-type]

    assert choose() is None
    assert choose(within="2h") == berlin(2026, 12, 6, 12, 0)
    assert choose(at="tomorrow 08:00") == berlin(2026, 12, 7, 8, 0)
    # Business hours move any of them (or now) to when the team is at work.
    assert choose(next_business_hour=True, hours=NINE_TO_FIVE) == berlin(2026, 12, 7, 9, 0)
    assert choose(at="tomorrow 08:00", next_business_hour=True, hours=NINE_TO_FIVE) == berlin(
        2026, 12, 7, 9, 0
    )
    assert choose(within="1d", next_business_hour=True, hours=NINE_TO_FIVE) == berlin(2026, 12, 7, 10, 0)
    with pytest.raises(UserError, match="not both"):
        choose(at="09:00", within="2h")
    with pytest.raises(UserError, match=r"'someday' is not a time ahead: try 09:00"):
        choose(at="someday")
    with pytest.raises(UserError, match=r"e\.g\. 30m"):
        choose(within="-2h")
    with pytest.raises(UserError, match=r"add \[accounts\.acme-support\.hours\]"):
        choose(next_business_hour=True)


def test_the_time_in_words() -> None:
    assert when_words(berlin(2026, 12, 6, 17, 0), SUNDAY_10) == "today 17:00"
    assert when_words(berlin(2026, 12, 5, 9, 30), SUNDAY_10) == "yesterday 09:30"
    assert when_words(berlin(2026, 12, 7, 9, 0), SUNDAY_10) == "tomorrow 09:00"
    assert when_words(berlin(2026, 12, 9, 9, 0), SUNDAY_10) == "Wed 9 Dec 09:00"


def test_a_span_gives_a_whole_minute_so_it_is_said_alike_everywhere() -> None:
    """Scheduled "in 2h" at 10:00:27, it was said to leave "today 12:00" and listed as
    "scheduled 12:01" (the outbox names the first whole minute it has come)."""
    now = SUNDAY_10 + timedelta(seconds=27)
    assert parse_send_time("2h", now) == berlin(2026, 12, 6, 12, 1)
    chosen = choose_send_time(
        at=None, within="2h", next_business_hour=False, hours=None, now=now, account="acme-support"
    )
    assert chosen == berlin(2026, 12, 6, 12, 1)
    assert when_words(chosen, now) == "today 12:01" == when_words(chosen, now, ahead=True)
    assert parse_send_time("2h", SUNDAY_10) == berlin(2026, 12, 6, 12, 0)  # whole already: as it is


FRIDAY_BEFORE_SUMMER_TIME = berlin(2027, 3, 26, 15, 0)  # clocks go forward on Sun 28 March
FRIDAY_BEFORE_WINTER_TIME = berlin(2026, 10, 23, 15, 0)  # clocks go back on Sun 25 October


@pytest.mark.parametrize(
    ("now", "typed", "expected"),
    [
        (FRIDAY_BEFORE_SUMMER_TIME, "mon 09:00", berlin(2027, 3, 29, 9, 0)),
        (FRIDAY_BEFORE_SUMMER_TIME, "next monday", berlin(2027, 3, 29, 9, 0)),
        (FRIDAY_BEFORE_SUMMER_TIME, "2027-03-29 09:00", berlin(2027, 3, 29, 9, 0)),
        (FRIDAY_BEFORE_SUMMER_TIME, "sun 12:00", berlin(2027, 3, 28, 12, 0)),
        (FRIDAY_BEFORE_WINTER_TIME, "mon 09:00", berlin(2026, 10, 26, 9, 0)),
        (FRIDAY_BEFORE_WINTER_TIME, "2026-10-26", berlin(2026, 10, 26, 9, 0)),
        # A span is a length of time, not a clock reading: 3 days are 72 hours.
        (FRIDAY_BEFORE_SUMMER_TIME, "3d", berlin(2027, 3, 29, 16, 0)),
    ],
)
def test_a_time_across_a_clock_change_is_the_wall_clock_time_of_that_day(
    now: datetime, typed: str, expected: datetime
) -> None:
    # Snoozed on Friday "until Monday 09:00": back at 09:00 on Monday's clock, whatever
    # offset the clock had on Friday.
    found = parse_send_time(typed, now)
    assert found == expected, (found.astimezone(BERLIN) if found else None, expected)
