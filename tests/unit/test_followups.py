"""The follow-up rule and its state-folder entries, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportinbox.config import AccountConfig
from supportinbox.domain import followups
from supportinbox.domain.followups import FollowUp
from supportinbox.domain.when import parse_span
from supportinbox.team.statefolder import FOLLOWUP, build_followup_message, parse_state_message

ACCOUNT = AccountConfig(email="support@acme.test", username="support", imap_host="127.0.0.1", agent="alice")
SET = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DUE = SET + timedelta(days=3)


def _followup(note: str = "promised an update") -> FollowUp:
    return FollowUp("k3m9x2qa", DUE, note, "alice", SET)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        (" 4h ", timedelta(hours=4)),
        ("2W", timedelta(weeks=2)),
        ("30min", timedelta(minutes=30)),
    ],
)
def test_spans(text: str, expected: timedelta) -> None:
    assert parse_span(text) == expected


@pytest.mark.parametrize("text", ["", "0d", "-1d", "3", "d", "3 days", "1y"])
def test_not_spans(text: str) -> None:
    assert parse_span(text) is None


def test_active_until_the_customer_writes_or_we_write_after_it_came_due() -> None:
    found = followups.explicit_due(_followup(), SET - timedelta(hours=1), SET)
    assert found == followups.Due(DUE, "follow-up due: promised an update")
    assert followups.explicit_due(_followup(), SET + timedelta(minutes=1), SET) is None
    assert followups.explicit_due(_followup(), SET, SET) is None  # the same second counts as after
    assert followups.explicit_due(_followup(), None, DUE - timedelta(hours=1)) is not None  # an early word
    assert followups.explicit_due(_followup(), None, DUE + timedelta(minutes=1)) is None
    assert followups.explicit_due(FollowUp("k3m9x2qa", None, "", "bob", SET), None, None) is None


def test_the_reason_without_a_note_names_the_day() -> None:
    found = followups.explicit_due(_followup(""), None, None)
    assert found is not None and found.reason.startswith("follow-up due since ")


def test_pending_reminder_only_for_pending_conversations_nobody_answered() -> None:
    reply = SET
    assert followups.reminder_due("pending", SET - timedelta(hours=2), reply, 5) == followups.Due(
        reply + timedelta(days=5), "no answer for 5d since your reply: send a reminder?"
    )
    assert followups.reminder_due("closed", None, reply, 5) is None
    assert followups.reminder_due("pending", None, reply, 0) is None
    assert followups.reminder_due("pending", reply + timedelta(hours=1), reply, 5) is None


def test_a_status_set_after_it_came_due_stands() -> None:
    found = followups.Due(DUE, "x")
    assert followups.lifts(found, None, DUE)
    assert followups.lifts(found, SET, DUE + timedelta(hours=1))
    assert not followups.lifts(found, DUE + timedelta(minutes=5), DUE + timedelta(hours=1))
    assert not followups.lifts(found, None, DUE - timedelta(seconds=1))


def test_state_folder_entry_round_trip() -> None:
    raw = build_followup_message(ACCOUNT, "alice", "k3m9x2qa", DUE.isoformat(), "call back", SET.isoformat())
    entry = parse_state_message(12, raw)
    assert entry is not None
    assert (entry.kind, entry.conversation_id, entry.state.snoozed_until, entry.note, entry.author) == (
        FOLLOWUP,
        "k3m9x2qa",
        DUE.isoformat(),
        "call back",
        "alice",
    )
    cleared = parse_state_message(
        13, build_followup_message(ACCOUNT, "bob", "k3m9x2qa", None, "", SET.isoformat())
    )
    assert cleared is not None and cleared.state.snoozed_until is None


def test_a_teammates_note_is_one_plain_bounded_line() -> None:
    hostile = "\x1b[2J[bold red]pay now[/]\r\nBcc: x@evil.test" + "a" * 1000
    raw = build_followup_message(ACCOUNT, "mallory", "k3m9x2qa", DUE.isoformat(), hostile, SET.isoformat())
    entry = parse_state_message(14, raw)
    assert entry is not None
    assert "\x1b" not in entry.note and "\n" not in entry.note and "\r" not in entry.note
    assert len(entry.note) <= followups.MAX_NOTE_CHARS


@pytest.mark.parametrize("due", ["tomorrow", "2026-12-04T09:00:00", 42, ["x"]])
def test_a_follow_up_with_a_bad_time_is_ignored(due: object) -> None:
    raw = build_followup_message(ACCOUNT, "alice", "k3m9x2qa", due, "x", SET.isoformat())  # type: ignore[arg-type]
    assert parse_state_message(15, raw) is None


def test_template_front_matter_followup() -> None:
    from supportinbox.domain.templates import TemplateError, parse_template

    template = parse_template("ack", "---\nfollowup: 3d\n---\nHi\n")
    assert template.followup == timedelta(days=3)
    assert parse_template("plain", "Hi\n").followup is None
    with pytest.raises(TemplateError, match="line 3: front matter 'followup' must be a time like 1d"):
        parse_template("bad", "---\nstatus: open\nfollowup: soon\n---\nHi\n")
