"""Times and spans in sentences: local, short, never raw ISO text; bursts under a minute say so."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from supportinbox.domain.incidents import reason_line
from supportinbox.domain.when import (
    age_words,
    as_utc,
    day_words,
    duration,
    parse_time,
    said_now,
    span_words,
    stamp,
    when_words,
)


def test_spans_read_as_people_say_them() -> None:
    assert span_words(timedelta(seconds=41)) == "within a minute"
    assert span_words(timedelta(minutes=12, seconds=5)) == "in 13m"
    assert span_words(timedelta(hours=2, minutes=10)) == "in 2h 10m"


def test_every_duration_is_said_one_way() -> None:
    """`sla` said "30m, next reply 1d 0h" above "overdue by 4 h (target 30 min)"; the queue
    "25 min" where the app said "25m". One formatter now says them all."""
    from supportinbox.domain.report import format_seconds

    assert [
        duration(timedelta(seconds=59)),
        duration(timedelta(minutes=45)),
        duration(timedelta(hours=1)),
        duration(timedelta(hours=3, minutes=5)),
        duration(timedelta(days=1)),
        duration(timedelta(days=2, hours=4, minutes=59)),
    ] == ["0m", "45m", "1h", "3h 05m", "1d", "2d 4h"]
    assert format_seconds(26 * 3600) == duration(timedelta(hours=26)) == "1d 2h"


def test_an_incident_of_mails_41_s_apart_is_within_a_minute() -> None:
    reason = reason_line(4, "login", timedelta(seconds=41))
    assert reason == "incident: 4 customers report 'login' within a minute"


def test_a_stored_utc_time_is_shown_in_the_local_zone_without_iso_text() -> None:
    moment = datetime(2026, 12, 6, 9, 48, 43, tzinfo=UTC)
    local = moment.astimezone()
    later = moment + timedelta(hours=1)
    assert when_words("2026-12-06T09:48:43+00:00", later) == when_words(moment, later)
    assert when_words(moment, moment + timedelta(days=3)) == f"{day_words(local)} {local:%H:%M}"
    assert "T" not in when_words("2026-12-06T09:48:43Z", moment + timedelta(days=3)).split()[-1]
    assert when_words(None) == "" and when_words("next tuesday") == ""


def test_a_moment_in_the_last_minute_is_just_now_wherever_it_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    """A moment seconds ago reads "just now" in a sentence, a column and a kept reason alike;
    from the first whole minute on, as the clock or the span says it."""
    moment = datetime(2026, 12, 6, 9, 48, 43, tzinfo=UTC)
    seconds_later, minute_later = moment + timedelta(seconds=59), moment + timedelta(minutes=1)
    kept = f"alice closed conversation c1 at {stamp(moment.isoformat())}"
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert when_words(moment, seconds_later) == "just now" == when_words(moment, moment)
        assert when_words(moment, minute_later) == "today 09:48"
        assert said_now(kept, seconds_later) == "alice closed conversation c1 just now"
        assert said_now(kept, moment + timedelta(days=3)) == "alice closed conversation c1 Sun 6 Dec 09:48"
        # A time things happen from is never "just now": a next try due now is named.
        assert when_words(moment, seconds_later, ahead=True) == "today 09:49"
    finally:
        monkeypatch.undo()
        time.tzset()
    assert (
        age_words(seconds_later - moment) == "just now" == age_words(timedelta(seconds=-5))
    )  # clock stepped back
    assert age_words(minute_later - moment) == "1m"
    assert age_words(timedelta(hours=3, minutes=5), " ago") == "3h 05m ago"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-06T10:00:00+00:00", datetime(2026, 12, 6, 10, 0, tzinfo=UTC)),
        ("2026-12-06T10:00:00", datetime(2026, 12, 6, 10, 0, tzinfo=UTC)),  # naive: stored UTC
        ("2026-12-06T12:00:00+02:00", datetime(2026, 12, 6, 10, 0, tzinfo=UTC)),
        ("2026-12-06T10:00Z", datetime(2026, 12, 6, 10, 0, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("next tuesday", None),
    ],
)
def test_every_stored_time_is_read_as_utc(text: str | None, expected: datetime | None) -> None:
    parsed = parse_time(text)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is UTC


def test_as_utc_takes_a_naive_time_as_utc() -> None:
    assert as_utc(datetime(2026, 12, 6, 10, 0)) == datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    berlin = timezone(timedelta(hours=1))
    assert as_utc(datetime(2026, 12, 6, 11, 0, tzinfo=berlin)).tzinfo is UTC


def test_a_kept_sentence_says_its_moment_in_the_clock_of_the_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    kept = f"bob closed conversation c1 at {stamp('2026-12-06T06:49:00+00:00')}"
    assert kept == "bob closed conversation c1 at 2026-12-06T06:49:00+00:00"
    later = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    monkeypatch.setenv("TZ", "Asia/Tehran")
    time.tzset()
    try:
        assert said_now(kept, now=later) == "bob closed conversation c1 today 10:19"
        assert said_now(kept, now=later + timedelta(days=2)) == "bob closed conversation c1 Sun 6 Dec 10:19"
    finally:
        monkeypatch.undo()
        time.tzset()
    assert said_now("SMTP 451 try again at 10:00") == "SMTP 451 try again at 10:00"  # no stamp: as it is
    assert stamp("next tuesday") == stamp(None) == ""
