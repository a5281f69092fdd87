"""Forwarding a conversation end to end: real Dovecot, real SMTP, the real command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.mail import drafts
from supportinbox.store import outbox as store
from supportinbox.store.conversations import get_conversation
from tests.harness.dovecot import Dovecot
from tests.harness.mail import client, make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = [pytest.mark.server]

Q1, Q2 = "<fw1@customer.test>", "<fw2@customer.test>"


def _thread() -> list[bytes]:
    now = datetime.now(UTC)
    return [
        make_message(
            message_id=Q1,
            subject="SSO login fails",
            body="Our SSO login fails with error 42.",
            date=now - timedelta(hours=2),
            attachment=("screenshot.png", b"\x89PNG fake"),
        ),
        make_message(
            message_id=Q2,
            in_reply_to=Q1,
            references=Q1,
            subject="Re: SSO login fails",
            body="Still failing for all \x1b[31mour\x1b[0m users.",
            date=now - timedelta(hours=1),
        ),
    ]


def test_a_forward_goes_out_through_the_outbox_and_is_noted_for_the_team(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, _thread())
    cid = setup.conversation_of(Q2)
    done = run_cli(
        capsys,
        "forward",
        cid,
        "--to",
        "Bob <bob@partner.test>",
        "--note",
        "Can you check the SSO logs?",
        "-y",
    )
    assert done.code == 0, done.err
    assert done.out.strip() == "forward #1 sent to bob@partner.test: Fwd: SSO login fails"
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["bob@partner.test"]
    msg = received.message
    assert msg["Subject"] == "Fwd: SSO login fails"
    assert msg["In-Reply-To"] is None and msg["References"] is None  # a thread of its own
    text = msg.get_content().replace("\r\n", "\n")
    assert text.startswith("Can you check the SSO logs?\n\n---------- Forwarded message ----------\n")
    assert text.count("---------- Forwarded message ----------") == 2
    assert "From: Lina Haddad <lina@customer.test>" in text and "Subject: SSO login fails" in text
    assert text.index("error 42") < text.index("Still failing")  # oldest first
    assert "(attachments, not forwarded: screenshot.png)" in text
    assert "\x1b" not in text
    assert msg["X-Supportinbox-Forward"] == cid
    # Not filed in Sent (it would be a pending conversation "Fwd: …" and a reply out in the
    # reports); the customer's message is not flagged as answered by a forward.
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        assert imap.search(["HEADER", "Message-ID", msg["Message-ID"].strip("<>")]) == []
        imap.select_folder("INBOX", readonly=True)
        flags = imap.get_flags(imap.search(["HEADER", "Message-ID", Q2.strip("<>")]))
        assert all(b"\\Answered" not in f for f in flags.values())
    (row,) = store.list_rows(setup.db.conn)
    assert row.status == "sent" and row.conversation_id is None
    # Recorded on the conversation for the team; the next reply to the customer is no "second reply".
    notes = get_conversation(setup.db, cid).notes
    assert [n.body for n in notes] == [
        "Forwarded to bob@partner.test (2 messages): Can you check the SSO logs?"
    ]
    assert drafts.earlier_reply(setup.db, setup.account, cid) is None
    # After a sync the queue has no "Fwd:" conversation and the report no reply out.
    assert run_cli(capsys, "sync").code == 0
    listed = run_cli(capsys, "list", "--status", "all", "--json")
    assert "Fwd:" not in listed.out
    report = run_cli(capsys, "report", "--since", "1d", "--json")
    assert report.code == 0, report.err
    assert json.loads(report.out)["totals"]["replies_out"] == 0, report.out


def test_an_excerpt_and_the_mistakes(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, _thread())
    cid = setup.conversation_of(Q2)
    wrong = run_cli(capsys, "forward", cid, "--to", "not an address", "-y")
    assert (
        wrong.code == 2
        and "is not an e-mail address to forward to: write it as name@example.com" in wrong.err
    )
    piped = run_cli(capsys, "forward", cid, "--to", "bob@partner.test")  # no terminal to ask on
    assert piped.code == 11 and "add --yes" in piped.err, piped
    assert store.list_rows(setup.db.conn) == [] and smtp_server.received == []
    done = run_cli(capsys, "forward", cid, "--to", "bob@partner.test", "--excerpt", "1", "-y")
    assert done.code == 0, done.err
    text = smtp_server.received[0].message.get_content().replace("\r\n", "\n")
    assert "Still failing" in text and "error 42" not in text
    assert text.startswith("---------- Forwarded message ----------")  # no note, no empty line


def test_attachments_go_with_the_forward_when_asked(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, _thread())
    cid = setup.conversation_of(Q2)
    done = run_cli(capsys, "forward", cid, "--to", "bob@partner.test", "--attachments", "-y")
    assert done.code == 0, done.err
    msg = smtp_server.received[0].message
    (part,) = msg.iter_attachments()
    assert part.get_filename() == "screenshot.png"
    assert part.get_payload(decode=True) == b"\x89PNG fake"  # the server's bytes, fetched on demand
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "(attached: screenshot.png)" in text

    # Unreachable server: one line saying what, nothing queued.
    dovecot.stop()
    try:
        down = run_cli(capsys, "forward", cid, "--to", "bob@partner.test", "--attachments", "-y")
    finally:
        dovecot.start()
    assert down.code != 0 and "\n" not in down.err.strip() and "Traceback" not in down.err, down.err
    assert len(store.list_rows(setup.db.conn)) == 1
