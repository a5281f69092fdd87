"""Follow-ups on a temporary cache: due ones come back with their reason, a customer reply clears."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from supportinbox.config import AccountConfig, Config, parse_config
from supportinbox.errors import UserError
from supportinbox.store import conversations as cv
from supportinbox.store import followups as fu
from supportinbox.store.db import Database, open_database
from tests.store.factories import NOW, add_message, at

CONFIG = """
[accounts.support]
email = "support@acme.test"
username = "support"
imap_host = "127.0.0.1"

[triage]
sla_hours = 24
pending_reminder_days = {days}
"""


def make_config(days: float = 0) -> tuple[Config, AccountConfig]:
    config = parse_config(CONFIG.format(days=days))
    return config, config.account()[1]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "cache.sqlite3")
    try:
        yield database
    finally:
        database.close()


def refresh(db: Database, now=NOW, days: float = 0) -> None:  # type: ignore[no-untyped-def]
    config, account = make_config(days)
    cv.refresh_conversations(db, config, account, now=now)


def answered_conversation(db: Database) -> str:
    """Lina asked 30 h ago, we answered 28 h ago: pending."""
    add_message(db, message_id="<q@c>", subject="Invoice missing", when=at(30))
    add_message(
        db,
        folder="Sent",
        message_id="<a@acme.test>",
        in_reply_to="<q@c>",
        references=("<q@c>",),
        sender="support@acme.test",
        name="Acme Support",
        to=("lina@customer.test",),
        subject="Re: Invoice missing",
        when=at(28),
    )
    refresh(db)
    [row] = cv.list_queue(db, status="pending", now=NOW)
    return row.id


def test_a_due_follow_up_lifts_a_pending_conversation_with_its_reason(db: Database) -> None:
    ident = answered_conversation(db)
    fu.set_followup(
        db, ident, NOW + timedelta(days=2), "you promised an update on Tuesday", agent="alice", now=NOW
    )
    assert cv.list_queue(db, now=NOW) == []
    assert [r.conversation_id for r in fu.list_active(db, NOW)] == [ident]
    later = NOW + timedelta(days=2, minutes=1)
    [row] = cv.list_queue(db, now=later)  # the clock alone lifts it: no refresh
    assert (row.id, row.status) == (ident, "open")
    assert row.reasons[0] == "follow-up due: you promised an update on Tuesday"
    assert row.waiting_since == "2026-11-22T12:00:00+00:00"  # the SLA counts from the due time
    refresh(db, now=later)  # and a full refresh agrees
    [again] = cv.list_queue(db, now=later)
    assert again.reasons[0] == row.reasons[0]
    assert again.followup_at == "2026-11-22T12:00:00+00:00"


def test_a_customer_reply_clears_the_follow_up(db: Database) -> None:
    ident = answered_conversation(db)
    fu.set_followup(db, ident, NOW + timedelta(days=2), "check the refund", agent="alice", now=NOW)
    add_message(
        db,
        message_id="<r@c>",
        in_reply_to="<a@acme.test>",
        references=("<q@c>", "<a@acme.test>"),
        subject="Re: Invoice missing",
        when=NOW + timedelta(hours=1),
    )
    refresh(db, now=NOW + timedelta(hours=2))
    [row] = cv.list_queue(db, now=NOW + timedelta(hours=2))
    assert row.followup_at is None
    assert not any("follow-up" in reason for reason in row.reasons)
    assert fu.list_active(db, NOW + timedelta(hours=2)) == []


def test_our_reply_after_it_came_due_ends_it(db: Database) -> None:
    ident = answered_conversation(db)
    fu.set_followup(db, ident, NOW + timedelta(hours=1), "", agent="alice", now=NOW)
    [row] = cv.list_queue(db, now=NOW + timedelta(hours=2))
    assert row.reasons[0].startswith("follow-up due since ")
    add_message(
        db,
        folder="Sent",
        message_id="<update@acme.test>",
        in_reply_to="<a@acme.test>",
        references=("<q@c>", "<a@acme.test>"),
        sender="support@acme.test",
        to=("lina@customer.test",),
        subject="Re: Invoice missing",
        when=NOW + timedelta(hours=3),
    )
    refresh(db, now=NOW + timedelta(hours=4))
    assert cv.list_queue(db, now=NOW + timedelta(hours=4)) == []
    assert cv.get_conversation(db, ident, NOW + timedelta(hours=4)).summary.status == "pending"


def test_a_status_set_after_it_came_due_stands_and_the_clock_forgets_it(db: Database) -> None:
    ident = answered_conversation(db)
    fu.set_followup(db, ident, NOW + timedelta(hours=1), "ask again", agent="alice", now=NOW)
    cv.list_queue(db, now=NOW + timedelta(hours=2))
    cv.set_status(db, ident, "closed", agent="alice", now=NOW + timedelta(hours=3))
    assert cv.list_queue(db, now=NOW + timedelta(hours=4)) == []
    row = db.conn.execute("SELECT status, followup_at FROM conversations WHERE id = ?", (ident,)).fetchone()
    assert tuple(row) == ("closed", None)


def test_a_follow_up_on_a_closed_conversation_brings_it_back(db: Database) -> None:
    ident = answered_conversation(db)
    cv.set_status(db, ident, "closed", agent="alice", now=NOW)
    fu.set_followup(db, ident, NOW + timedelta(days=7), "did the fix hold?", agent="alice", now=NOW)
    [row] = cv.list_queue(db, now=NOW + timedelta(days=7, hours=1))
    assert (row.id, row.reasons[0]) == (ident, "follow-up due: did the fix hold?")


def test_a_closed_conversation_back_for_a_follow_up_is_not_an_overdue_resolution(db: Database) -> None:
    """Resolved within its target, closed, checked in on a week later: a new resolution clock."""
    config = parse_config(CONFIG.format(days=0) + '[sla]\nresolution = "1d"\n')
    ident = answered_conversation(db)
    cv.set_status(db, ident, "closed", agent="alice", now=at(27))
    fu.set_followup(db, ident, NOW + timedelta(days=7), "did the fix hold?", agent="alice", now=NOW)
    later = NOW + timedelta(days=7, hours=1)
    cv.refresh_conversations(db, config, config.account()[1], now=later)
    [row] = cv.list_queue(db, now=later)
    assert row.reasons == ["follow-up due: did the fix hold?"]
    assert row.sla_level == 0  # due an hour ago, 24 h to resolve from then


def test_clearing_and_past_times(db: Database) -> None:
    ident = answered_conversation(db)
    with pytest.raises(UserError, match="not in the future"):
        fu.set_followup(db, ident, NOW - timedelta(hours=1), agent="alice", now=NOW)
    fu.set_followup(db, ident, NOW + timedelta(hours=1), "x", agent="alice", now=NOW)
    fu.set_followup(db, ident, None, agent="alice", now=NOW)
    assert cv.list_queue(db, now=NOW + timedelta(hours=2)) == []
    row = db.conn.execute("SELECT due_at, uploaded FROM followups").fetchone()
    assert tuple(row) == (None, 0)  # the clearing itself is shared at the next sync


def test_pending_reminder_days(db: Database) -> None:
    ident = answered_conversation(db)
    refresh(db, days=3)
    assert cv.list_queue(db, now=NOW) == []
    due = NOW + timedelta(days=2)  # our reply was 28 h before NOW
    [row] = cv.list_queue(db, now=due)
    assert (row.id, row.reasons[0]) == (ident, "no answer for 3d since your reply: send a reminder?")
    refresh(db, now=due, days=3)
    [row] = cv.list_queue(db, now=due)
    assert row.reasons[0] == "no answer for 3d since your reply: send a reminder?"
    refresh(db, now=due, days=0)  # switched off
    assert cv.list_queue(db, now=due) == []


def test_an_explicit_follow_up_wins_over_the_reminder(db: Database) -> None:
    ident = answered_conversation(db)
    refresh(db, days=3)
    fu.set_followup(db, ident, NOW + timedelta(days=5), "after the release", agent="alice", now=NOW)
    assert cv.list_queue(db, now=NOW + timedelta(days=3)) == []
    [row] = cv.list_queue(db, now=NOW + timedelta(days=5, minutes=1))
    assert row.reasons[0] == "follow-up due: after the release"


def test_followup_command_offline_and_its_mistakes(supportinbox_home: Path) -> None:
    from click.testing import CliRunner

    import supportinbox.cli.followup_cmds  # noqa: F401  (registers the commands)
    from supportinbox.cli.app import cli
    from tests.conftest import write_config
    from tests.store.factories import OFFLINE_ACCOUNT_CONFIG

    write_config(supportinbox_home, OFFLINE_ACCOUNT_CONFIG)  # its password command fails
    with open_database(account="support") as db:
        ident = answered_conversation(db)
    runner = CliRunner()
    for args, wrong in (
        (["--in", "3x"], "use a positive number and a unit"),
        (["--at", "next week"], "is not a time ahead: try 09:00, tomorrow 9:30"),
        (["--in", "3d", "--clear"], "give exactly one of"),
        (["--clear", "--note", "x"], "--note goes with --in or --at"),
    ):
        result = runner.invoke(cli, ["followup", ident, *args])
        assert result.exit_code != 0 and isinstance(result.exception, UserError), args
        assert wrong in str(result.exception), args
    done = runner.invoke(cli, ["followup", ident[:5], "--in", "2d", "--note", "refund status"])
    assert done.exit_code == 0, done.output
    assert f"follow-up on {ident} for " in done.output and "the next sync shares it" in done.output
    assert "password_command" in done.output  # why it is not shared yet
    listed = runner.invoke(cli, ["followups", "--json"])
    (row,) = __import__("json").loads(listed.output)
    assert (row["id"], row["due"], row["reason"]) == (ident, False, "follow-up due: refund status")


def test_closing_suggests_asking_the_customer_and_does_nothing_by_itself(
    supportinbox_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from tests.conftest import write_config
    from tests.harness.replies import TerminalInput, run_cli
    from tests.store.factories import OFFLINE_ACCOUNT_CONFIG

    write_config(supportinbox_home, OFFLINE_ACCOUNT_CONFIG)
    with open_database(account="support") as db:
        scripted = answered_conversation(db)
    assert "looks again later" not in run_cli(capsys, "status", scripted, "closed").err  # no terminal
    monkeypatch.setattr(sys, "stdin", TerminalInput(""))
    ident = scripted
    before = run_cli(capsys, "status", ident, "closed")
    assert before.code == 0 and f"{ident} is closed now" in before.out
    assert f"'supportinbox followup {ident} --in 7d' looks again later" in before.err
    assert "closing-follow-up" not in before.err  # no such template yet
    assert run_cli(capsys, "templates", "install").code == 0
    after = run_cli(capsys, "status", ident, "closed")
    assert (
        f"'supportinbox reply {ident} -t closing-follow-up' asks the customer whether it is solved"
        in after.err
    )
    with open_database(account="support") as db:
        assert db.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0  # never sent by itself
        assert db.conn.execute("SELECT COUNT(*) FROM followups").fetchone()[0] == 0
