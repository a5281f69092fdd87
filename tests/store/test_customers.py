"""The customer profile: every conversation, notes, first seen; colleagues only when asked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import supportinbox.cli.customer_cmds  # noqa: F401  (registers the command)
from supportinbox.cli.app import cli
from supportinbox.errors import NotFound, UserError
from supportinbox.store import conversations as cv
from supportinbox.store.customers import customer_address, customer_profile
from supportinbox.store.db import Database, open_database
from tests.conftest import write_config
from tests.store.factories import add_message

CONFIG = """
[accounts.support]
email = "support@acme.test"
agent = "alice"
username = "support"
imap_host = "127.0.0.1"
"""
CSI = "\x1b[2J\x1b[31m"


def _fill(db: Database, now: datetime) -> None:
    add_message(db, message_id="<old@c>", subject="Setup question", when=now - timedelta(days=40))
    add_message(db, message_id="<new@c>", subject="Cannot log in", when=now - timedelta(hours=2))
    add_message(
        db,
        message_id="<boss@c>",
        sender="omar@customer.test",
        name="Omar",
        subject="Invoice for our team",
        when=now - timedelta(days=3),
    )
    add_message(
        db, message_id="<g1@c>", sender="x@gmail.com", name="X", subject="Hi", when=now - timedelta(days=1)
    )
    add_message(
        db, message_id="<g2@c>", sender="y@gmail.com", name="Y", subject="Hey", when=now - timedelta(days=1)
    )
    add_message(
        db,
        message_id="<someone@other>",
        sender="lina@customer.test.evil",
        name="Lina",
        subject="Not her",
        when=now - timedelta(days=1),
    )


@pytest.fixture
def mailbox(supportinbox_home: Path) -> Path:
    write_config(supportinbox_home, CONFIG)
    return supportinbox_home


def _db() -> Database:
    return open_database(account="support")


def test_profile_by_address_with_notes_and_first_seen(mailbox: Path) -> None:
    now = datetime.now(UTC)
    with _db() as db:
        _fill(db, now)
        from supportinbox.config import load_config

        config = load_config()
        cv.refresh_conversations(db, config, config.account()[1], now=now)
        new = cv.search(db, "from:lina@customer.test", now=now)
        login = next(c.id for c in new if c.subject == "Cannot log in")
        db.conn.execute(
            "INSERT INTO notes(conversation_id, author, created_at, body, uploaded) "
            "VALUES (?, 'maya', ?, ?, 1)",
            (login, now.isoformat(timespec="seconds"), f"VIP at a partner {CSI}"),
        )
        profile = customer_profile(db, "Lina@Customer.test", now=now)
        assert [c.subject for c in profile.conversations] == ["Cannot log in", "Setup question"]
        assert profile.name == "Lina Haddad"
        assert profile.first_seen == (now - timedelta(days=40)).isoformat(timespec="seconds")
        assert profile.counts == {"open": 2}
        assert [(n.author, n.subject) for n in profile.notes] == [("maya", "Cannot log in")]
        assert customer_address(db, login) == "lina@customer.test"

        colleagues = customer_profile(db, "lina@customer.test", by_domain=True, now=now)
        assert sorted(c.customer_email for c in colleagues.conversations) == [
            "lina@customer.test",
            "lina@customer.test",
            "omar@customer.test",
        ]
        with pytest.raises(UserError, match="public mail provider"):
            customer_profile(db, "x@gmail.com", by_domain=True, now=now)
        with pytest.raises(NotFound):
            customer_profile(db, "nobody@nowhere.test", now=now)


def test_customer_command_json_and_text_are_inert(mailbox: Path) -> None:
    now = datetime.now(UTC)
    with _db() as db:
        _fill(db, now)
        add_message(
            db,
            message_id="<h@c>",
            name=f"[bold red]Lina[/] {CSI}",
            subject=f"[blink]Refund[/blink] {CSI}",
            when=now - timedelta(hours=1),
        )
    runner = CliRunner()
    shown = runner.invoke(cli, ["customer", "lina@customer.test"])
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.output
    assert "first seen" in shown.output and "3 conversations" in shown.output
    assert "[blink]Refund[/blink]" in shown.output  # shown as text, never as style
    data = json.loads(runner.invoke(cli, ["customer", "lina@customer.test", "--json"]).output)
    assert data["email"] == "lina@customer.test" and len(data["conversations"]) == 3
    assert data["domain"] is None
    missing = runner.invoke(cli, ["customer", "nobody@nowhere.test"])
    assert missing.exit_code != 0  # main() prints a user error as one line
    assert isinstance(missing.exception, NotFound)
    assert "no conversation with nobody@nowhere.test" in str(missing.exception)
    assert "check the address, or find the customer with 'supportinbox search NAME'" in str(missing.exception)


def test_the_profile_says_how_each_conversation_ended_and_what_is_to_come(mailbox: Path) -> None:
    """Closed by whom, reopened by the customer, a follow-up still to come: before one replies."""
    from supportinbox.config import load_config
    from supportinbox.domain.when import when_words
    from supportinbox.store.followups import set_followup

    now = datetime.now(UTC).replace(microsecond=0)
    closed_at, due = now - timedelta(days=6), now + timedelta(days=2)
    with _db() as db:
        add_message(db, message_id="<done@c>", subject="Closed for good", when=now - timedelta(days=9))
        add_message(db, message_id="<back@c>", subject="Came back", when=now - timedelta(days=8))
        add_message(db, message_id="<ring@c>", subject="Call back", when=now - timedelta(days=7))
        config = load_config()
        cv.refresh_conversations(db, config, config.account()[1], now=now)
        ids = {c.subject: c.id for c in cv.list_queue(db, status="all", now=now)}
        cv.set_status(db, ids["Closed for good"], "closed", agent="alice", now=closed_at)
        cv.set_status(db, ids["Came back"], "closed", agent="alice", now=closed_at)
        add_message(
            db,
            message_id="<back2@c>",
            in_reply_to="<back@c>",
            references=("<back@c>",),
            subject="Re: Came back",
            when=now - timedelta(days=1),
        )
        cv.refresh_conversations(db, config, config.account()[1], now=now)
        set_followup(db, ids["Call back"], due, f"ring about the invoice {CSI}", agent="bob", now=now)
        profile = customer_profile(db, "lina@customer.test", now=now)
    day = closed_at.astimezone()
    close = f"{day:%a} {day.day} {day:%b} {day:%H:%M}"  # six days ago: its day and time
    assert {c.subject: profile.history.get(c.id) for c in profile.conversations} == {
        "Closed for good": [f"closed by alice {close}"],  # the same moment, said the same way
        "Came back": [f"reopened: the customer wrote after it was closed {close}"],
        "Call back": [f"follow-up set for {when_words(due, now)} by bob: ring about the invoice"],
    }

    shown = CliRunner().invoke(cli, ["customer", "lina@customer.test"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.output
    lines = shown.output.splitlines()
    for subject, facts in (
        ("Closed for good", ["closed by alice"]),
        ("Came back", ["reopened: the customer wrote after it was closed"]),
        ("Call back", ["follow-up set for", "by bob: ring about the invoice"]),
    ):
        at = next(i for i, line in enumerate(lines) if subject in line)
        assert all(fact in lines[at + 1] for fact in facts), lines
    assert max(len(line) for line in lines) <= 80, lines
    data = json.loads(CliRunner().invoke(cli, ["customer", "lina@customer.test", "--json"]).output)
    assert {c["subject"]: c["history"] for c in data["conversations"]}["Closed for good"] == [
        f"closed by alice {when_words(closed_at, now)}"
    ]
