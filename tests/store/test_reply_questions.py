"""Questions before a reply goes out: none without a terminal (a one-line refusal naming the
option to add), a second reply to a customer who has not written since, a blank reply."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.mail import drafts
from supportinbox.mail import outbox as sender
from supportinbox.store import outbox as store
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import Database, open_database
from tests.conftest import write_config
from tests.harness.replies import TerminalInput, run_cli
from tests.store.factories import NOW, add_message, add_raw
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG as CONFIG

NO_TERMINAL = 11


@pytest.fixture
def cached(supportinbox_home: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[Database, str]]:
    """A customer's question in the cache; templates installed; SMTP unreachable (port 1)."""
    write_config(supportinbox_home, CONFIG)
    assert run_cli(capsys, "templates", "install").code == 0
    db = open_database(account="support")
    add_message(db, message_id="<q1@customer.test>", subject="Cannot log in", when=NOW - timedelta(hours=3))
    _refresh(db)
    yield db, str(db.conn.execute("SELECT conversation_id FROM messages").fetchone()[0])
    db.close()


def _refresh(db: Database) -> None:
    config = load_config()
    refresh_conversations(db, config, config.account()[1], now=NOW)


def _our_reply(db: Database, when_hours_ago: float) -> None:
    add_message(
        db,
        folder="Sent",
        message_id="<a1@acme.test>",
        in_reply_to="<q1@customer.test>",
        references=("<q1@customer.test>",),
        sender="support@acme.test",
        name="Acme Support",
        to=("lina@customer.test",),
        subject="Re: Cannot log in",
        body="We are on it",
        when=NOW - timedelta(hours=when_hours_ago),
        raw_headers="From: Acme Support <support@acme.test>\r\nX-Supportinbox-Agent: bob\r\n",
    )
    _refresh(db)


def test_without_a_terminal_send_refuses_in_one_line_and_names_yes(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, conversation = cached
    result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send")
    assert result.code == NO_TERMINAL
    assert result.err == "supportinbox: no terminal to confirm on; add --yes\n"
    assert store.list_rows(db.conn) == []


@pytest.mark.parametrize(
    ("args", "instead"),
    [
        (("reply", "{id}"), "-t NAME"),  # a blank reply is written in $EDITOR
        (("reply", "{id}", "--yes"), "-t NAME"),  # what "add --yes" used to lead to
        (("reply", "{id}", "-t", "login-help", "--edit"), "drop --edit"),
        (("note", "{id}"), "give the note as TEXT"),
    ],
)
def test_without_a_terminal_no_editor_is_opened_and_the_line_says_what_works(
    args: tuple[str, ...],
    instead: str,
    cached: tuple[Database, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, conversation = cached

    def no_editor(*_args: object, **_kwargs: object) -> str:
        raise AssertionError("an editor was opened without a terminal")

    monkeypatch.setattr("click.edit", no_editor)
    result = run_cli(capsys, *(a.format(id=conversation) for a in args))
    assert result.code == NO_TERMINAL, result
    assert result.err.startswith("supportinbox: no terminal for $EDITOR; ") and instead in result.err
    assert result.err.count("\n") == 1 and result.out == ""
    assert store.list_rows(db.conn) == []


def test_cache_rebuild_without_a_terminal_refuses_too(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "cache", "rebuild")
    assert result.code == NO_TERMINAL and "add --yes" in result.err and "aborted" not in result.err


def test_a_second_reply_asks_first_naming_the_earlier_one_even_with_yes(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, conversation = cached
    _our_reply(db, when_hours_ago=1)
    piped = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert piped.code == NO_TERMINAL
    assert "bob replied Fri 20 Nov " in piped.err and "add --again" in piped.err and "--yes" not in piped.err

    monkeypatch.setattr(sys, "stdin", TerminalInput("n\n"))
    asked = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert asked.code == 130
    assert "Note: bob replied Fri 20 Nov " in asked.out and "customer has not written since" in asked.out
    assert "Send another reply?" in asked.out and asked.err.endswith("supportinbox: not sent\n")
    assert store.list_rows(db.conn) == []

    # --again is the deliberate second reply: no question (the send fails: SMTP is port 1).
    again = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes", "--again")
    assert again.code == 9 and len(store.list_rows(db.conn)) == 1


def test_a_reply_on_its_way_counts_as_the_earlier_one(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, conversation = cached
    config = load_config()
    account = config.account()[1]
    # Written a moment ago in the app, still in its undo window.
    draft = drafts.prepare_draft(db, config, account, conversation, "login-help")
    first = drafts.queue_draft(db, draft, drafts.draft_message(draft, config, account), undo_seconds=600)
    second = run_cli(capsys, "reply", conversation, "-t", "need-more-information", "--send", "--yes")
    assert second.code == NO_TERMINAL
    assert f"reply #{first} by alice is still in the outbox (in its undo window)" in second.err

    # One the user dropped, or one held for a teammate, is not on its way: no question.
    assert sender.cancel(db, first)
    third = run_cli(capsys, "reply", conversation, "-t", "need-more-information", "--send", "--yes")
    assert third.code != NO_TERMINAL


def test_no_question_once_the_customer_wrote_again(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, conversation = cached
    _our_reply(db, when_hours_ago=2)
    add_message(
        db,
        message_id="<q2@customer.test>",
        in_reply_to="<a1@acme.test>",
        references=("<q1@customer.test>", "<a1@acme.test>"),
        subject="Re: Cannot log in",
        body="Still broken",
        when=NOW - timedelta(minutes=10),
    )
    _refresh(db)
    result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert result.code == 9, result.err  # sent straight away (and refused by port 1)


def test_an_auto_reply_after_ours_is_not_the_customer_writing_again(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, conversation = cached
    _our_reply(db, when_hours_ago=2)
    add_raw(
        db,
        b"From: Lina Haddad <lina@customer.test>\r\nTo: support@acme.test\r\n"
        b"Subject: Out of office: Re: Cannot log in\r\nAuto-Submitted: auto-replied\r\n"
        b"Message-ID: <ooo1@customer.test>\r\nIn-Reply-To: <a1@acme.test>\r\n"
        b"References: <q1@customer.test> <a1@acme.test>\r\n"
        + (NOW - timedelta(hours=1)).strftime("Date: %a, %d %b %Y %H:%M:%S +0000\r\n").encode()
        + b"\r\nI am away until Monday.\r\n",
    )
    _refresh(db)
    (kind,) = db.conn.execute(
        "SELECT automated FROM messages WHERE message_id = '<ooo1@customer.test>'"
    ).fetchone()
    assert kind  # classified as automated mail
    piped = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert piped.code == NO_TERMINAL and "bob replied Fri 20 Nov " in piped.err, piped.err


def _editor(tmp_path: Path, text: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        f"pathlib.Path({str(tmp_path / 'ran')!r}).write_text('yes')\n"
        f"pathlib.Path(sys.argv[1]).write_text({text!r})\n"
    )
    return f"{sys.executable} {script}"


def test_reply_without_a_template_writes_a_blank_threaded_reply_in_the_editor(
    cached: tuple[Database, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    db, conversation = cached
    monkeypatch.setenv("VISUAL", _editor(tmp_path, "Dear Lina,\n\nfixed now.\n"))
    monkeypatch.setattr(sys, "stdin", TerminalInput("y\n"))
    result = run_cli(capsys, "reply", conversation)
    assert (tmp_path / "ran").exists()
    assert "Subject: Re: Cannot log in" in result.out and "In-Reply-To: <q1@customer.test>" in result.out
    assert "Send this reply?" in result.out
    (row,) = store.list_rows(db.conn)  # queued, then refused by port 1
    msg, body = sender.reply_text(row)
    assert body == "Dear Lina,\n\nfixed now.\n"
    assert msg["In-Reply-To"] == "<q1@customer.test>" and msg["Subject"] == "Re: Cannot log in"
    assert row.template is None


def test_a_blank_reply_without_a_terminal_is_refused_before_the_editor_opens(
    cached: tuple[Database, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    db, conversation = cached
    monkeypatch.setenv("VISUAL", _editor(tmp_path, "lost words"))
    result = run_cli(capsys, "reply", conversation)
    # Not "add --yes": with it the editor would open on a pipe all the same.
    assert result.code == NO_TERMINAL and "-t NAME" in result.err and "--yes" not in result.err
    assert not (tmp_path / "ran").exists() and store.list_rows(db.conn) == []
