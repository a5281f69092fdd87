"""Spam-folder verdicts computed against the cache (inbox, sent, conversations)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.config import parse_config
from supportinbox.errors import NotFound
from supportinbox.store import conversations as cv
from supportinbox.store.db import Database, open_database
from supportinbox.store.junk import bulk_signs, get_junk_message, list_suspects
from tests.store.factories import NOW, add_message, at

CONFIG = parse_config(
    """
[accounts.support]
email = "support@acme.test"
username = "support"
imap_host = "127.0.0.1"
"""
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "cache.sqlite3")
    try:
        yield database
    finally:
        database.close()


def test_customer_reply_in_junk_is_found_and_spam_is_not(db: Database) -> None:
    add_message(
        db, message_id="<q@customer.test>", sender="lina@customer.test", subject="Refund", when=at(30)
    )
    add_message(
        db,
        folder="Sent",
        message_id="<ans@acme.test>",
        in_reply_to="<q@customer.test>",
        references=("<q@customer.test>",),
        sender="support@acme.test",
        to=("lina@customer.test",),
        subject="Re: Refund",
        when=at(29),
    )
    add_message(
        db,
        folder="Junk",
        uid=7,
        message_id="<again@customer.test>",
        in_reply_to="<ans@acme.test>",
        references=("<q@customer.test>", "<ans@acme.test>"),
        sender="lina@customer.test",
        subject="Re: Refund",
        body="Still waiting for the refund",
        when=at(2),
    )
    add_message(
        db,
        folder="Junk",
        uid=8,
        message_id="<spam@bulk.example>",
        sender="deals@bulk.example",
        subject="Cheap watches",
        body="https://x.example " * 12,
        spam_headers={"x-spam-score": "15.0"},
        list_headers=True,
        raw_headers="From: deals@bulk.example\r\nList-Unsubscribe: <mailto:u@bulk.example>\r\n",
        when=at(1),
    )
    result = cv.refresh_conversations(db, CONFIG, CONFIG.account()[1], now=NOW)
    assert result.junk_suspects == 1
    suspects = list_suspects(db)
    assert [(s.uid, s.from_addr) for s in suspects] == [(7, "lina@customer.test")]
    assert suspects[0].reasons[0] == "+50 replies to our message 'Re: Refund'"
    everything = list_suspects(db, include_all=True)
    assert [s.uid for s in everything] == [7, 8]
    assert "-25 bulk mail (List-Unsubscribe)" in everything[1].reasons
    # Junk messages never show up as conversations.
    assert [c.subject for c in cv.list_queue(db, status="all", now=NOW)] == ["Refund"]
    assert get_junk_message(db, 8).score < 0
    with pytest.raises(NotFound):
        get_junk_message(db, 99)


def test_bulk_signs_from_raw_headers() -> None:
    raw = "From: a@b\r\nPrecedence: Bulk\r\nList-Id: <news.b>\r\n\r\n"
    assert bulk_signs(raw) == ["List-Id", "Precedence: bulk"]
    assert bulk_signs("garbage \x00 without colon") == []


def test_a_piped_spam_check_gives_every_suspect_one_whole_line(db: Database) -> None:
    """Piped, the From was cut at 40 columns with "…" and a long reason wrapped under itself."""
    from rich.console import Console

    from supportinbox.cli.triage_cmds import PIPE_WIDTH, _suspect_table

    long_name = "Maximiliane Ottilie von Habsburg-Lothringen"
    address = "maximiliane@a-rather-long-company-domain.example"
    subject = "Cannot log in to my account since the update this morning, please help"
    add_message(
        db, message_id="<q@long.example>", sender=address, name=long_name, subject=subject, when=at(30)
    )
    add_message(
        db,
        folder="Junk",
        uid=3,
        message_id="<again@long.example>",
        in_reply_to="<q@long.example>",
        references=("<q@long.example>",),
        sender=address,
        name=long_name,
        subject=f"Re: {subject}",
        body="I still cannot log in and the password reset mail never arrives.",
        spam_headers={"x-spam-score": "4.1"},
        when=at(2),
    )
    cv.refresh_conversations(db, CONFIG, CONFIG.account()[1], now=NOW)
    rows = list_suspects(db)
    assert rows, "the customer in the spam folder is a suspect"
    for whole, width in ((True, PIPE_WIDTH), (False, 120)):
        console = Console(width=width, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
        console.print(_suspect_table(rows, whole=whole))
        lines = console.export_text().rstrip("\n").split("\n")
        body = "\n".join(lines[2:])
        if whole:
            assert len(lines) == 2 + len(rows), "\n".join(lines)
            # Only the name is cut (at 30 characters, as everywhere); the rest is whole.
            assert body.count("…") == body.count(f"{long_name[:29]}… <{address}>") == 1, body
            assert subject in body and "'my account'" in body
        else:
            assert "…" in body and all(len(line.rstrip()) <= width for line in lines)


def test_a_right_to_left_suspect_keeps_its_columns(db: Database) -> None:
    """Drawn by a terminal that orders bidi text, an Arabic name and subject keep their places.

    Unisolated, they ran into one right-to-left stretch and the subject took the name's place.
    """
    from rich.console import Console

    from supportinbox.cli.triage_cmds import PIPE_WIDTH, _suspect_table
    from tests.harness.bidi import assert_columns_read_right, column_starts

    address = "samir@cedar-soft.test"
    subject = "لا يمكنني تسجيل الدخول"  # "I cannot log in"
    add_message(
        db, message_id="<q@cedar.test>", sender=address, name="سمير حداد", subject=subject, when=at(30)
    )
    add_message(
        db,
        folder="Junk",
        uid=3,
        message_id="<again@cedar.test>",
        in_reply_to="<q@cedar.test>",
        references=("<q@cedar.test>",),
        sender=address,
        name="سمير حداد",
        subject=f"Re: {subject}",
        body="ما زلت لا أستطيع تسجيل الدخول.",
        spam_headers={"x-spam-score": "4.1"},
        when=at(2),
    )
    cv.refresh_conversations(db, CONFIG, CONFIG.account()[1], now=NOW)
    rows = list_suspects(db)
    console = Console(width=PIPE_WIDTH, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(_suspect_table(rows, whole=True))
    header, _, *lines = console.export_text().rstrip("\n").split("\n")
    starts = column_starts(header, ["ID", "From", "Subject", "Why"])
    for line in lines:
        assert_columns_read_right(line, starts)
