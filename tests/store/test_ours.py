"""One definition of "this message is ours": Sent, our outbox, or a copy of our mail.

A message arriving in the inbox with ``From: support@acme.test`` is not ours because of
that header: anyone can write it, and a forged "reply from us" used to turn the
customer's conversation to pending and out of the Open queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.config import AccountConfig, Config, parse_config
from supportinbox.domain.replies import Original, build_reply
from supportinbox.mail import drafts
from supportinbox.mail.outbox import queue_reply
from supportinbox.store import conversations as cv
from supportinbox.store.db import Database, open_database
from supportinbox.store.junk import list_suspects
from tests.store.factories import NOW, add_message, at

CONFIG = """
[accounts.support]
email = "support@acme.test"
display_name = "Acme Support"
username = "support"
imap_host = "127.0.0.1"
"""


def _config() -> tuple[Config, AccountConfig]:
    config = parse_config(CONFIG)
    return config, config.account()[1]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "cache.sqlite3")
    try:
        yield database
    finally:
        database.close()


def _refresh(db: Database) -> None:
    config, account = _config()
    cv.refresh_conversations(db, config, account, now=NOW)


def _status_of(db: Database, message_id: str) -> str:
    row = db.conn.execute(
        "SELECT conversation_id FROM messages WHERE message_id = ?", (message_id,)
    ).fetchone()
    return cv.get_conversation(db, str(row[0]), now=NOW).summary.status


def _customer_asks(db: Database) -> None:
    add_message(
        db, message_id="<q@customer.test>", subject="Invoice wrong", sender="ann@customer.test", when=at(5)
    )


@pytest.mark.parametrize("threaded_by", ["subject", "in-reply-to"])
def test_a_forged_reply_from_us_in_the_inbox_keeps_the_customer_waiting(
    db: Database, threaded_by: str
) -> None:
    _customer_asks(db)
    add_message(
        db,
        message_id="<forged@evil.test>",
        in_reply_to="<q@customer.test>" if threaded_by == "in-reply-to" else None,
        references=("<q@customer.test>",) if threaded_by == "in-reply-to" else (),
        subject="Re: Invoice wrong",
        sender="support@acme.test",
        name="Acme Support",
        to=("ann@customer.test",),
        when=at(1),
    )
    _refresh(db)
    assert _status_of(db, "<q@customer.test>") == "open"
    open_queue = cv.list_queue(db, status="open", now=NOW)
    assert "Invoice wrong" in [c.subject for c in open_queue]
    forged = next(
        m
        for m in cv.get_conversation(db, open_queue[0].id, now=NOW).messages
        if "forged" in str(m.message_id)
    )
    assert not forged.from_us


def test_a_reply_in_sent_and_its_copy_in_the_inbox_are_ours(db: Database) -> None:
    _customer_asks(db)
    for folder in ("Sent", "INBOX"):  # e.g. a Bcc to ourselves
        add_message(
            db,
            folder=folder,
            message_id="<r1@acme.test>",
            in_reply_to="<q@customer.test>",
            references=("<q@customer.test>",),
            subject="Re: Invoice wrong",
            sender="support@acme.test",
            to=("ann@customer.test",),
            when=at(1),
        )
    _refresh(db)
    assert _status_of(db, "<q@customer.test>") == "pending"
    ident = db.conn.execute(
        "SELECT conversation_id FROM messages WHERE message_id = '<q@customer.test>'"
    ).fetchone()[0]
    copies = [
        m for m in cv.get_conversation(db, str(ident), now=NOW).messages if m.message_id == "<r1@acme.test>"
    ]
    assert [(m.folder_role, m.from_us) for m in sorted(copies, key=lambda m: m.folder_role)] == [
        ("inbox", True),
        ("sent", True),
    ]


def test_a_copy_of_a_reply_from_our_outbox_is_ours_before_sent_has_it(db: Database) -> None:
    _, account = _config()
    _customer_asks(db)
    _refresh(db)
    original = Original(
        from_name="Ann",
        from_addr="ann@customer.test",
        subject="Invoice wrong",
        message_id="<q@customer.test>",
    )
    msg = build_reply(original, account, "We fixed it.\n")
    queue_reply(db, msg, None, 1, "INBOX", "t", None, None)
    add_message(
        db,
        message_id=str(msg["Message-ID"]),
        in_reply_to="<q@customer.test>",
        references=("<q@customer.test>",),
        subject=str(msg["Subject"]),
        sender="support@acme.test",
        to=("ann@customer.test",),
        when=at(1),
    )
    _refresh(db)
    assert _status_of(db, "<q@customer.test>") == "pending"


def test_an_inbox_message_with_our_domain_but_no_sent_twin_is_not_ours(db: Database) -> None:
    # Our Message-ID domain alone proves nothing: it is as easy to forge as From.
    _customer_asks(db)
    add_message(
        db,
        message_id="<looks-like-ours@acme.test>",
        in_reply_to="<q@customer.test>",
        subject="Re: Invoice wrong",
        sender="support@acme.test",
        to=("ann@customer.test",),
        when=at(1),
    )
    _refresh(db)
    assert _status_of(db, "<q@customer.test>") == "open"


def test_the_reply_target_and_the_spam_check_ask_the_same_rule(db: Database) -> None:
    _, account = _config()
    _customer_asks(db)
    add_message(
        db,
        message_id="<forged@evil.test>",
        subject="Re: Invoice wrong",
        sender="support@acme.test",
        to=("ann@customer.test",),
        when=at(2),
    )
    # Junk mail "answering" the forged message: no sign that it answers our mail.
    add_message(
        db,
        folder="Junk",
        message_id="<spam@evil.test>",
        in_reply_to="<forged@evil.test>",
        subject="Re: Invoice wrong",
        sender="win@evil.test",
        when=at(1),
    )
    _refresh(db)
    ((suspect_reasons),) = [s.reasons for s in list_suspects(db, include_all=True)]
    assert not any(r.startswith("replies to our message") for r in suspect_reasons), suspect_reasons
    # The forged message is the customer side of its own conversation, not our reply.
    ident = db.conn.execute(
        "SELECT conversation_id FROM messages WHERE message_id = '<forged@evil.test>'"
    ).fetchone()[0]
    _, message = drafts.customer_message(db, account, str(ident))
    assert message.message_id == "<forged@evil.test>"
