"""Business hours: durations across nights, weekends, holidays, zones and DST; deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportinbox.config import ConfigError, HoursConfig, Weekdays, parse_config
from supportinbox.domain.hours import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = HoursConfig(timezone="Europe/Berlin", days=Weekdays(("mon", "tue", "wed", "thu", "fri")))


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_without_hours_business_time_is_wall_time() -> None:
    cal = BusinessCalendar(None)
    start = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    assert cal.seconds(start, start + timedelta(hours=50)) == 50 * 3600
    assert cal.add(start, 1800) == start + timedelta(minutes=30)


def test_friday_afternoon_to_monday_morning_counts_only_working_hours() -> None:
    cal = BusinessCalendar(NINE_TO_FIVE)
    # Friday 16:30 -> Monday 09:30 (2026-11-20 is a Friday): 30 min + 30 min.
    assert cal.seconds(berlin(2026, 11, 20, 16, 30), berlin(2026, 11, 23, 9, 30)) == 3600
    # A message on Saturday answered on Monday 10:00: one business hour.
    assert cal.seconds(berlin(2026, 11, 21, 11, 0), berlin(2026, 11, 23, 10, 0)) == 3600
    # Nothing counts at night or at the weekend.
    assert cal.seconds(berlin(2026, 11, 21, 11, 0), berlin(2026, 11, 22, 20, 0)) == 0


def test_deadlines_move_over_the_weekend() -> None:
    cal = BusinessCalendar(NINE_TO_FIVE)
    due = cal.add(berlin(2026, 11, 20, 16, 45), 30 * 60)
    assert due == berlin(2026, 11, 23, 9, 15)
    assert cal.add(berlin(2026, 11, 21, 3, 0), 30 * 60) == berlin(2026, 11, 23, 9, 30)
    # add and seconds agree.
    start = berlin(2026, 11, 18, 12, 0)
    assert cal.seconds(start, cal.add(start, 20 * 3600)) == pytest.approx(20 * 3600)


def test_the_same_instant_in_other_zones_gives_the_same_figure() -> None:
    cal = BusinessCalendar(NINE_TO_FIVE)
    start = berlin(2026, 11, 20, 16, 30).astimezone(ZoneInfo("America/New_York"))
    end = berlin(2026, 11, 23, 9, 30).astimezone(ZoneInfo("Asia/Tehran"))
    assert cal.seconds(start, end) == 3600


def test_holidays_and_closed_days_are_off() -> None:
    hours = HoursConfig(timezone="Europe/Berlin", holidays="DE", closed_days=(berlin(2026, 12, 24).date(),))
    cal = BusinessCalendar(hours)
    # Thu 24 Dec (closed), Fri 25 and Sat 26 (holidays, weekend), Sun 27: nothing counts
    # from Wednesday 17:00 to Monday 09:00.
    assert cal.seconds(berlin(2026, 12, 23, 16, 0), berlin(2026, 12, 28, 10, 0)) == 2 * 3600


def test_daylight_saving_change_keeps_the_local_window() -> None:
    cal = BusinessCalendar(NINE_TO_FIVE)
    # Berlin moves to summer time on Sunday 2026-03-29; Monday's window is still 09-17 local.
    assert cal.seconds(berlin(2026, 3, 27, 9, 0), berlin(2026, 3, 30, 17, 0)) == 16 * 3600


def test_hours_config_is_checked() -> None:
    base = '[accounts.a]\nemail = "s@x.test"\nusername = "s"\nimap_host = "h"\n[accounts.a.hours]\n'
    config = parse_config(base + 'days = "mon-fri"\nstart = "08:30"\nend = "24:00"\nholidays = "de-by"\n')
    hours = config.accounts["a"].hours
    assert hours is not None
    assert (hours.days, hours.end, hours.holidays) == (("mon", "tue", "wed", "thu", "fri"), None, "DE-BY")
    for days, expected in (
        ('["Monday", "wed", "sat"]', ("mon", "wed", "sat")),
        ('"fri-mon"', ("fri", "sat", "sun", "mon")),
    ):
        named = parse_config(base + f"days = {days}\n").accounts["a"].hours
        assert named is not None and named.days == expected
    for bad, words in (
        ('timezone = "Mars/Base"', "unknown time zone"),
        ('days = ["mon", "funday"]', "unknown day"),
        ('days = "mon-fry"', "unknown day 'fry'"),
        ('days = ["monk"]', "unknown day 'monk'"),
        ('start = "18:00"\nend = "09:00"', "must end after"),
        ('holidays = "XX"', "no public holidays"),
    ):
        with pytest.raises(ConfigError, match=words):
            parse_config(base + bad + "\n")
