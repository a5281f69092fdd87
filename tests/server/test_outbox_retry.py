"""The outbox over real SMTP and Dovecot: a passing failure is sent by a later sync, exactly
once; a permanent one and a held one wait for the user, with a way out that works."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.store import outbox as store
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.replies import Setup, run_cli, setup_account
from tests.harness.smtp import SmtpServer
from tests.harness.team import TEMPLATE, make_team

pytestmark = pytest.mark.server


def _in_sent(dovecot: Dovecot) -> int:
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        return len(imap.search(["ALL"]))


def _answered(dovecot: Dovecot, message_id: str) -> bool:
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        (uid,) = imap.search(["HEADER", "Message-ID", message_id.strip("<>")])
        return b"\\Answered" in imap.get_flags([uid])[uid]


def _time_passes(setup: Setup) -> None:
    """Move every retry time into the past, as if the wait were over."""
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
    with setup.db.transaction() as conn:
        conn.execute("UPDATE outbox SET next_attempt_at = ? WHERE next_attempt_at IS NOT NULL", (past,))


def test_a_busy_smtp_server_is_retried_by_the_next_sync_once_its_time_came(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [make_message(message_id="<b1@c.test>")])
    conversation = setup.conversation_of("<b1@c.test>")
    smtp_server.set_refusing(True)  # 451: try again later
    sent = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert sent.code == 9 and "451" in sent.err and "tries again from" in sent.err
    (row,) = store.list_rows(setup.db.conn)
    assert row.status == "failed" and row.next_attempt_at is not None
    listing = run_cli(capsys, "outbox")
    assert "failed, next try" in listing.out

    smtp_server.set_refusing(False)
    early = run_cli(capsys, "sync")  # before the retry time: left alone
    assert early.code == 0 and smtp_server.received == []

    _time_passes(setup)
    synced = run_cli(capsys, "sync")
    assert synced.code == 0, synced.err
    assert f"outbox: reply #{row.id} sent" in synced.out
    assert len(smtp_server.received) == 1 and _in_sent(dovecot) == 1
    assert _answered(dovecot, "<b1@c.test>")
    again = run_cli(capsys, "sync")
    assert "outbox" not in again.out and len(smtp_server.received) == 1
    assert run_cli(capsys, "outbox").out.strip() == "the outbox is empty"


def test_an_explicit_retry_sends_at_once_whatever_the_retry_time(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [make_message(message_id="<n1@c.test>")])
    conversation = setup.conversation_of("<n1@c.test>")
    smtp_server.set_refusing(True)  # 451
    sent = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert sent.code == 9
    (row,) = store.list_rows(setup.db.conn)
    assert row.next_attempt_at is not None and row.next_attempt_at > datetime.now(UTC).isoformat()

    smtp_server.set_refusing(False)
    retried = run_cli(capsys, "outbox", "retry")  # the user asks: no waiting for the retry time
    assert retried.code == 0, retried.err
    assert f"#{row.id} sent" in retried.out
    assert len(smtp_server.received) == 1 and _in_sent(dovecot) == 1


def test_a_refused_message_waits_for_the_user(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [make_message(message_id="<p1@c.test>")])
    conversation = setup.conversation_of("<p1@c.test>")
    smtp_server.set_refusing(True, permanent=True)  # 550
    sent = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert sent.code == 9 and "550" in sent.err and "until you act" in sent.err
    (row,) = store.list_rows(setup.db.conn)
    assert row.status == "failed" and row.next_attempt_at is None

    smtp_server.set_refusing(False)
    _time_passes(setup)
    synced = run_cli(capsys, "sync")
    assert synced.code == 0 and smtp_server.received == []
    assert "failed, waits for you" in run_cli(capsys, "outbox").out
    retried = run_cli(capsys, "outbox", "retry", str(row.id))
    assert retried.code == 0, retried.err
    assert len(smtp_server.received) == 1


def test_a_held_reply_is_listed_as_held_and_a_plain_retry_leaves_it(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, [make_message(message_id="<h1@c.test>", subject="Refund please")])
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    cid = alice.conversation_of("<h1@c.test>")
    assert bob.cli(capsys, "claim", cid).code == 0

    held = alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes")
    assert held.code == 10 and "bob claimed conversation" in held.err
    (row,) = store.list_rows(alice.db.conn)
    assert row.status == "held" and row.held_by == "bob"
    assert f"outbox send-anyway {row.id}" in held.err and "outbox retry" not in held.err

    listing = alice.cli(capsys, "outbox")
    assert "held: bob" in listing.out and f"outbox send-anyway {row.id}" in listing.out

    plain = alice.cli(capsys, "outbox", "retry")
    assert plain.code == 0 and "nothing to send" in plain.out
    assert f"#{row.id} is still held" in plain.err
    synced = alice.cli(capsys, "sync")
    assert synced.code == 0 and smtp_server.received == []

    anyway = alice.cli(capsys, "outbox", "send-anyway", str(row.id))
    assert anyway.code == 0, anyway.err
    assert len(smtp_server.received) == 1 and _in_sent(dovecot) == 1


def test_a_reply_that_failed_for_good_is_not_sent_after_a_newer_one(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reply refused for good, then the same reply sent again once SMTP works (a script run
    again): a plain 'outbox retry' does not send the first one too; named, it goes."""
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [make_message(message_id="<p1@c.test>")])
    conversation = setup.conversation_of("<p1@c.test>")
    reply = ("reply", conversation, "-t", "login-help", "--send", "--yes")
    smtp_server.set_refusing(True, permanent=True)
    failed = run_cli(capsys, *reply)
    assert failed.code == 9 and "#1 not sent" in failed.err and "until you act" in failed.err, failed.err
    smtp_server.set_refusing(False)
    again = run_cli(capsys, *reply)  # a reply that failed for good does not count as sent
    assert (
        again.code == 0 and again.out.strip() == "reply #2 sent to lina@customer.test: Re: Cannot log in"
    ), again
    assert len(smtp_server.received) == 1

    retried = run_cli(capsys, "outbox", "retry")

    assert retried.code == 9, retried
    assert "#1 kept in the outbox: alice replied " in retried.err, retried.err
    assert "'supportinbox outbox retry 1' sends it all the same" in retried.err
    assert len(smtp_server.received) == 1
    assert [row.status for row in store.list_rows(setup.db.conn)] == ["failed", "sent"]
    named = run_cli(capsys, "outbox", "retry", "1")
    assert (
        named.code == 0 and named.out.strip() == "reply #1 sent to lina@customer.test: Re: Cannot log in"
    ), named
    assert len(smtp_server.received) == 2


def test_each_reply_a_retry_could_not_send_has_its_own_line(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two replies refused in one 'outbox retry': two lines, each naming its reply and what
    to run, not one line of both reasons run together; the exit code is still 9."""
    mails = [make_message(message_id=f"<t{i}@c.test>", subject=f"Question {i}") for i in (1, 2)]
    setup = setup_account(supportinbox_home, dovecot, smtp_server, mails)
    smtp_server.set_refusing(True, permanent=True)  # 550
    for i in (1, 2):
        conversation = setup.conversation_of(f"<t{i}@c.test>")
        assert run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes").code == 9

    retried = run_cli(capsys, "outbox", "retry")
    assert retried.code == 9, retried
    lines = retried.err.splitlines()
    assert len(lines) == 2, lines
    for ident, line in zip((1, 2), lines, strict=True):
        assert line.startswith(f"supportinbox: #{ident} not sent: "), line
        assert line.endswith(f"'supportinbox outbox discard {ident}'"), line
    assert smtp_server.received == []
