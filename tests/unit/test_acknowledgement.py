"""Acknowledgement on arrival: which mail never gets one, and when one is due."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from supportinbox.config import AccountConfig, ClockTime, HoursConfig, Weekdays
from supportinbox.domain.acknowledgement import refusal, trigger
from supportinbox.domain.hours import BusinessCalendar

OWN = ("support@acme.test",)
PERSON = "lina@customer.test"


@pytest.mark.parametrize(
    ("headers", "sender", "recipient", "why"),
    [
        ({"auto-submitted": "auto-replied"}, PERSON, PERSON, "auto-reply"),
        ({"auto-submitted": "auto-generated"}, PERSON, PERSON, "notification"),
        ({"x-autoreply": "yes"}, PERSON, PERSON, "X-Autoreply"),
        ({"precedence": "bulk"}, PERSON, PERSON, "Precedence: bulk"),
        ({"precedence": "junk"}, PERSON, PERSON, "Precedence: junk"),
        ({"precedence": "list"}, PERSON, PERSON, "Precedence: list"),
        ({"list-id": "<users.lists.test>"}, PERSON, PERSON, "List-Id"),
        ({"list-unsubscribe": "<mailto:leave@lists.test>"}, PERSON, PERSON, "List-Unsubscribe"),
        ({"list-post": "<mailto:users@lists.test>"}, PERSON, PERSON, "List-Post"),
        ({"x-auto-response-suppress": "OOF, AutoReply"}, PERSON, PERSON, "X-Auto-Response-Suppress"),
        ({"x-auto-response-suppress": "All"}, PERSON, PERSON, "X-Auto-Response-Suppress"),
        ({"return-path": "<>"}, PERSON, PERSON, "Return-Path"),
        ({}, "MAILER-DAEMON@mx.test", "mailer-daemon@mx.test", "bounce"),
        ({}, PERSON, "postmaster@customer.test", "mail system"),
        ({}, PERSON, "noreply@shop.test", "no-reply"),
        ({}, PERSON, "do-not-reply@shop.test", "no-reply"),
        ({}, PERSON, "SUPPORT@acme.test", "our own"),
        ({}, PERSON, "", "no address"),
        (
            {"content-type": 'multipart/report; report-type="delivery-status"'},
            PERSON,
            PERSON,
            "delivery status",
        ),
    ],
)
def test_automated_mail_lists_daemons_and_ourselves_never_get_one(
    headers: dict[str, str], sender: str, recipient: str, why: str
) -> None:
    found = refusal(headers, sender, recipient, OWN)
    assert found is not None and why.lower() in found.lower(), found


def test_a_person_gets_one() -> None:
    headers = {
        "auto-submitted": "no",
        "precedence": "first-class",
        "x-auto-response-suppress": "",
        "return-path": "<lina@customer.test>",
    }
    assert refusal(headers, PERSON, PERSON, OWN) is None
    # A contact form writes as us and names the person in Reply-To: the person is answered.
    assert refusal({}, "support@acme.test", PERSON, OWN) is None


# A week whose Monday is 2026-12-07; the team works Mon-Fri 09:00-17:00 UTC.
HOURS = HoursConfig(days=Weekdays(("mon", "tue", "wed", "thu", "fri")), start=ClockTime(9, 0))
CALENDAR = BusinessCalendar(HOURS)
WHEN = ("outside-hours", "first-reply-late")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_outside_hours_when_it_arrived_and_is_still_unread_in_the_closed_time() -> None:
    # Saturday night, Sunday morning: nobody at work since it came.
    assert trigger(WHEN, CALENDAR, arrived=_at(5, 22), now=_at(6, 8), first_reply_warn_at=None) == (
        "outside-hours"
    )
    # Monday 18:00, looked at 18:05.
    assert trigger(WHEN, CALENDAR, arrived=_at(7, 18), now=_at(7, 18, 5), first_reply_warn_at=None) == (
        "outside-hours"
    )


def test_not_outside_hours_once_the_team_was_at_work() -> None:
    # Arrived Monday 16:50, looked at 17:30: ten working minutes passed.
    assert (
        trigger(WHEN, CALENDAR, arrived=_at(7, 16, 50), now=_at(7, 17, 30), first_reply_warn_at=None) is None
    )
    # Arrived Sunday, now Monday 09:10: the team is at work.
    assert trigger(WHEN, CALENDAR, arrived=_at(6, 12), now=_at(7, 9, 10), first_reply_warn_at=None) is None


def test_without_business_hours_it_is_never_outside_them() -> None:
    wall = BusinessCalendar(None)
    assert trigger(WHEN, wall, arrived=_at(6, 3), now=_at(6, 3, 5), first_reply_warn_at=None) is None


def test_first_reply_late_from_the_warning_point_on() -> None:
    arrived, warn = _at(7, 10), _at(7, 10, 22)
    assert trigger(WHEN, CALENDAR, arrived=arrived, now=_at(7, 10, 20), first_reply_warn_at=warn) is None
    assert trigger(WHEN, CALENDAR, arrived=arrived, now=_at(7, 10, 23), first_reply_warn_at=warn) == (
        "first-reply-late"
    )
    # Only the rules asked for.
    assert (
        trigger(("outside-hours",), CALENDAR, arrived=arrived, now=_at(7, 11), first_reply_warn_at=warn)
        is None
    )


def test_an_old_message_is_acknowledged_no_more() -> None:
    arrived = _at(5, 10)
    assert trigger(WHEN, CALENDAR, arrived=arrived, now=_at(6, 11), first_reply_warn_at=arrived) is None


def _account(**ack: object) -> dict[str, object]:
    return {"email": "support@acme.test", "username": "u", "imap_host": "127.0.0.1", "acknowledgement": ack}


def test_config_is_off_by_default_and_checked() -> None:
    plain = AccountConfig.model_validate(_account())
    assert not plain.acknowledgement.enabled
    assert plain.acknowledgement.template == "acknowledgement"
    assert plain.acknowledgement.min_hours_between == 24
    with pytest.raises(ValueError, match=r"outside-hours.*needs business hours"):
        AccountConfig.model_validate(_account(enabled=True))
    ok = AccountConfig.model_validate(_account(enabled=True, when=["first-reply-late"]))
    assert ok.acknowledgement.when == ("first-reply-late",)
    with pytest.raises(ValueError, match="nightly"):
        AccountConfig.model_validate(_account(when=["nightly"]))
    with pytest.raises(ValueError, match="at least one"):
        AccountConfig.model_validate(_account(when=[]))
    with pytest.raises(ValueError, match="min_hours_between"):
        AccountConfig.model_validate(_account(min_hours_between=0))
    with pytest.raises(ValueError, match="not a template name"):
        AccountConfig.model_validate(_account(template="../etc/passwd"))
    timed = {**_account(enabled=True), "hours": {"timezone": "Europe/Berlin"}}
    assert AccountConfig.model_validate(timed).acknowledgement.enabled
