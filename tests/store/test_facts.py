"""Support facts: customer messages, replies from anywhere, closes and reopens, kept for good."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

import pytest

from supportinbox.config import AccountConfig, Config, parse_config
from supportinbox.store import conversations as cv
from supportinbox.store.db import Database, open_database
from tests.store.factories import NOW, add_message, add_raw, at

CONFIG = """
[accounts.support]
email = "support@acme.test"
username = "support"
imap_host = "127.0.0.1"
"""


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "cache.sqlite3")
    try:
        yield database
    finally:
        database.close()


def config() -> tuple[Config, AccountConfig]:
    parsed = parse_config(CONFIG)
    return parsed, parsed.account()[1]


def refresh(db: Database, now=NOW) -> None:  # type: ignore[no-untyped-def]
    cv.refresh_conversations(db, *config(), now=now)


def events(db: Database) -> list[tuple[str, str, str]]:
    return [
        (str(r[0]), str(r[1]), str(r[2]))
        for r in db.conn.execute("SELECT kind, at, agent FROM support_events ORDER BY at, kind")
    ]


def iso(hours_ago: float) -> str:
    return at(hours_ago).isoformat(timespec="seconds")


def test_customer_messages_and_replies_from_any_client_are_recorded_once(db: Database) -> None:
    add_message(db, message_id="<q1@c>", subject="Invoice", when=at(10))
    # Our reply written in this app (it names its agent) ...
    add_message(
        db,
        folder="Sent",
        message_id="<r1@acme>",
        in_reply_to="<q1@c>",
        sender="support@acme.test",
        subject="Re: Invoice",
        when=at(9),
        raw_headers="From: support@acme.test\r\nX-Supportinbox-Agent: alice\r\n",
    )
    add_message(db, message_id="<q2@c>", in_reply_to="<r1@acme>", subject="Re: Invoice", when=at(5))
    # ... and one APPENDed to Sent by another client, which names nobody.
    add_message(
        db,
        folder="Sent",
        message_id="<r2@elsewhere>",
        in_reply_to="<q2@c>",
        sender="support@acme.test",
        subject="Re: Invoice",
        when=at(4),
        raw_headers="From: support@acme.test\r\nUser-Agent: Mutt\r\n",
    )
    refresh(db)
    expected = [
        ("customer", iso(10), ""),
        ("reply", iso(9), "alice"),
        ("customer", iso(5), ""),
        ("reply", iso(4), ""),
    ]
    assert events(db) == expected
    # A new message later, a second refresh and a full refresh again: nothing doubles.
    refresh(db)
    db.set_meta("facts_version", "0")
    refresh(db)
    assert events(db) == expected
    (conversation,) = {r[0] for r in db.conn.execute("SELECT conversation_id FROM support_events")}
    assert conversation == cv.list_queue(db, status="all", now=NOW)[0].id


def test_a_reply_only_in_the_outbox_counts_from_its_send_time(db: Database) -> None:
    add_message(db, message_id="<q1@c>", subject="Help", when=at(3))
    refresh(db)
    [summary] = cv.list_queue(db, now=NOW)
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO outbox(message_id, conversation_id, recipients, raw, status, created_at, sent_at) "
            "VALUES ('<out@acme>', ?, 'lina@customer.test', ?, 'sent', ?, ?)",
            (summary.id, b"X-Supportinbox-Agent: bob\r\nSubject: Re\r\n\r\nbody", iso(2), iso(2)),
        )
    db.set_meta("triage_input_version", "99")  # the outbox alone does not trigger a refresh
    refresh(db)
    assert events(db) == [("customer", iso(3), ""), ("reply", iso(2), "bob")]
    # When the Sent copy arrives it is the same reply, not a second one.
    add_message(
        db,
        folder="Sent",
        message_id="<out@acme>",
        in_reply_to="<q1@c>",
        sender="support@acme.test",
        when=at(2),
    )
    refresh(db)
    assert events(db) == [("customer", iso(3), ""), ("reply", iso(2), "bob")]


def test_close_reopen_by_the_customer_and_by_hand(db: Database) -> None:
    add_message(db, message_id="<q1@c>", subject="Refund", when=at(10))
    refresh(db, now=at(9.5))
    [summary] = cv.list_queue(db, now=at(9.5))
    cv.set_status(db, summary.id, "closed", agent="alice", now=at(9))
    add_message(db, message_id="<q2@c>", in_reply_to="<q1@c>", subject="Re: Refund", when=at(6))
    refresh(db, now=at(5))
    cv.set_status(db, summary.id, "closed", agent="bob", now=at(4))
    cv.set_status(db, summary.id, "open", agent="carol", now=at(2))
    refresh(db)
    assert events(db) == [
        ("customer", iso(10), ""),
        ("closed", iso(9), "alice"),
        ("customer", iso(6), ""),
        ("reopened", iso(6), ""),
        ("closed", iso(4), "bob"),
        ("reopened", iso(2), "carol"),
    ]


def test_a_message_marked_as_spam_leaves_the_facts(db: Database) -> None:
    add_message(db, message_id="<spam@x>", subject="Cheap pills", when=at(2))
    refresh(db)
    assert [e[0] for e in events(db)] == ["customer"]
    with db.transaction() as conn:
        junk = conn.execute(
            "INSERT INTO folders(name, role) VALUES ('Junk', 'junk') RETURNING id"
        ).fetchone()[0]
        conn.execute("UPDATE messages SET folder_id = ? WHERE message_id = '<spam@x>'", (junk,))
    refresh(db)
    assert events(db) == []


def test_facts_outlive_the_mail(db: Database) -> None:
    """Archived or expunged on the server, a conversation's history stays for reports;
    a customer whose mail is gone waits no longer (from the refresh that saw it go)."""
    add_message(db, message_id="<q1@c>", subject="Old", when=at(100))
    refresh(db)
    with db.transaction() as conn:
        conn.execute("DELETE FROM messages")
    refresh(db, now=at(1))
    assert events(db) == [("customer", iso(100), ""), ("gone", iso(1), "")]
    refresh(db, now=NOW)
    assert len(events(db)) == 2  # said once


def test_answered_mail_that_goes_leaves_the_history_as_it_was(db: Database) -> None:
    add_message(db, message_id="<q1@c>", subject="Old", when=at(100))
    add_message(
        db,
        message_id="<r1@acme.test>",
        sender="support@acme.test",
        folder="Sent",
        in_reply_to="<q1@c>",
        subject="Re: Old",
        when=at(99),
    )
    refresh(db)
    kept = events(db)
    assert [e[0] for e in kept] == ["customer", "reply"]
    with db.transaction() as conn:
        conn.execute("DELETE FROM messages")
    refresh(db)
    assert events(db) == kept


def _raw(sender: str, message_id: str, subject: str, hours_ago: float, extra: str = "") -> bytes:
    date = format_datetime(at(hours_ago))
    return (
        f"From: {sender}\r\nTo: support@acme.test\r\nSubject: {subject}\r\nDate: {date}\r\n"
        f"Message-ID: {message_id}\r\n{extra}\r\nHello\r\n"
    ).encode()


def test_automated_mail_is_no_customer_question(db: Database) -> None:
    # Classified by the parser as the sync caches it (domain.automated), read here.
    add_message(db, message_id="<q1@c>", subject="Question", when=at(4))
    add_raw(
        db,
        _raw(
            "bob@corp.test",
            "<ooo@c>",
            "Automatic reply: Out of office",
            3,
            "auto-submitted: auto-replied\r\n",
        ),
    )
    add_raw(db, _raw("MAILER-DAEMON@mx.test", "<dsn@c>", "Undelivered Mail Returned to Sender", 2.5))
    add_raw(db, _raw("news@shop.test", "<list@c>", "Our newsletter", 2, "List-Id: <news.shop.test>\r\n"))
    add_raw(db, _raw("eve@corp.test", "<human@c>", "Written by hand", 1, "Auto-Submitted: no\r\n"))
    refresh(db)
    assert events(db) == [("customer", iso(4), ""), ("customer", iso(1), "")]


def test_a_contact_form_sending_as_us_is_the_customer_writing(db: Database) -> None:
    # The form sends from the support address with the customer as Reply-To: a customer
    # message (the customer is the Reply-To person), not one of our replies.
    form = _raw(
        "Acme Website <support@acme.test>",
        "<form@c>",
        "Contact form: refund",
        2,
        "Reply-To: Nora Saleh <nora@example.test>\r\n",
    )
    add_raw(db, form)
    refresh(db)
    rows = db.conn.execute("SELECT kind, customer FROM support_events").fetchall()
    assert [tuple(r) for r in rows] == [("customer", "nora@example.test")]


def test_a_follow_up_that_brings_a_closed_conversation_back_reopens_it_when_due(db: Database) -> None:
    """A due follow-up counts as a reopen by hand at its due time (store.followups), as the
    queue's new resolution clock says; the reopen was dated at the close, before it."""
    from supportinbox.store.followups import set_followup

    add_message(db, message_id="<q1@c>", subject="Refund", when=at(10))
    refresh(db, now=at(9.5))
    [summary] = cv.list_queue(db, now=at(9.5))
    cv.set_status(db, summary.id, "closed", agent="alice", now=at(8))
    set_followup(db, summary.id, at(3), "Did the refund arrive?", agent="alice", now=at(7))
    refresh(db, now=at(5))
    assert events(db) == [("customer", iso(10), ""), ("closed", iso(8), "alice")]  # not due yet
    refresh(db, now=at(2))
    assert cv.list_queue(db, now=at(2))[0].status == "open"
    assert events(db) == [
        ("customer", iso(10), ""),
        ("closed", iso(8), "alice"),
        ("reopened", iso(3), ""),
    ]
