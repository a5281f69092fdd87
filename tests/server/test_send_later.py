"""Send later end to end: real Dovecot, real SMTP, the real command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from supportinbox.domain.when import when_words
from supportinbox.store import outbox as store
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.replies import Setup, run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = [pytest.mark.server]

MID = "<later@customer.test>"


def _question(minutes_ago: int = 30) -> bytes:
    return make_message(
        sender="Lina Haddad <lina@customer.test>",
        subject="Cannot log in",
        message_id=MID,
        body="Hello, I cannot log in since this morning.",
        date=datetime.now(UTC) - timedelta(minutes=minutes_ago),
    )


def _time_passes(setup: Setup, row: store.OutboxRow) -> None:
    """The scheduled time comes (the clock is not moved: the row's time is)."""
    past = (datetime.now(UTC) - timedelta(seconds=5)).isoformat(timespec="seconds")
    with setup.db.transaction() as conn:
        conn.execute("UPDATE outbox SET not_before = ? WHERE id = ?", (past, row.id))


def test_a_scheduled_reply_leaves_with_the_first_sync_after_its_time(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [_question()])
    conversation = setup.conversation_of(MID)
    scheduled = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send-in", "3h", "--yes")
    assert scheduled.code == 0, scheduled.err
    assert scheduled.out.startswith("reply #1 to lina@customer.test scheduled for ")
    (row,) = store.list_rows(setup.db.conn)
    early = run_cli(capsys, "sync")
    assert early.code == 0 and "reply #1 sent" not in early.out, early
    assert smtp_server.received == []

    _time_passes(setup, row)
    synced = run_cli(capsys, "sync")
    assert synced.code == 0, synced.err
    assert "outbox: reply #1 sent" in synced.out
    (received,) = smtp_server.received
    assert received.message["In-Reply-To"] == MID
    # Dated the time it was scheduled for, not the time it was written.
    assert parsedate_to_datetime(received.message["Date"]) == datetime.fromisoformat(row.send_at or "")
    sent = store.get(setup.db.conn, row.id)
    assert sent is not None and sent.status == "sent" and sent.filed_in_sent
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        assert len(imap.search(["HEADER", "In-Reply-To", MID.strip("<>")])) == 1


def test_the_customer_writing_first_keeps_it_as_a_draft_until_the_user_decides(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [_question()])
    conversation = setup.conversation_of(MID)
    scheduled = run_cli(
        capsys, "reply", conversation, "-t", "login-help", "--send-at", "tomorrow 09:00", "-y"
    )
    assert scheduled.code == 0, scheduled.err
    (row,) = store.list_rows(setup.db.conn)

    # An out-of-office answer does not count; Lina's own words do.
    auto = make_message(
        sender="Lina Haddad <lina@customer.test>",
        subject="Automatic reply: Cannot log in",
        message_id="<ooo@customer.test>",
        in_reply_to=MID,
        references=MID,
        body="I am out of the office.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    append(dovecot, [auto])
    quiet = run_cli(capsys, "sync")
    assert quiet.code == 0 and "draft" not in quiet.err, quiet
    assert store.get(setup.db.conn, row.id).status == "queued"  # type: ignore[union-attr]

    again = make_message(
        sender="Lina Haddad <lina@customer.test>",
        subject="Re: Cannot log in",
        message_id="<later-2@customer.test>",
        in_reply_to=MID,
        references=MID,
        body="Never mind, it works again.",
    )
    append(dovecot, [again])
    _time_passes(setup, row)  # even with its time come, it does not leave
    synced = run_cli(capsys, "sync")
    assert synced.code == 0, synced.err
    assert "outbox: #1 not sent: Lina Haddad wrote again " in synced.err, synced.err
    assert "'supportinbox outbox retry 1' sends it as it is" in synced.err
    assert smtp_server.received == []
    listed = run_cli(capsys, "outbox")
    assert "draft: customer wrote" in listed.out
    # Told once: the next sync leaves the draft alone.
    assert "draft" not in run_cli(capsys, "sync").err
    assert run_cli(capsys, "outbox", "retry").out.strip() == "nothing to send"

    sent = run_cli(capsys, "outbox", "retry", "1")
    assert sent.code == 0, sent.err
    assert "#1 sent" in sent.out
    assert len(smtp_server.received) == 1


def test_a_kept_draft_is_edited_and_sent_in_its_place(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [_question()], extra="\n[replies]\nundo_seconds_cli = 0\n"
    )
    conversation = setup.conversation_of(MID)
    assert run_cli(capsys, "reply", conversation, "-t", "login-help", "--send-in", "3h", "-y").code == 0
    (row,) = store.list_rows(setup.db.conn)
    latest = "<later-3@customer.test>"
    append(
        dovecot,
        [
            make_message(
                sender="Lina Haddad <lina@customer.test>",
                subject="Re: Cannot log in",
                message_id=latest,
                in_reply_to=MID,
                references=MID,
                body="It also fails on my phone.",
            )
        ],
    )
    synced = run_cli(capsys, "sync")
    assert "'supportinbox outbox edit 1' edits it to answer the latest message" in synced.err, synced.err

    # Nothing to edit with: the draft stays as it was.
    refused = run_cli(capsys, "outbox", "edit", "1")  # no terminal for $EDITOR
    assert refused.code == 11 and "--body-file" in refused.err, refused
    queued_one = store.list_rows(setup.db.conn)[0]
    assert queued_one.status == "draft"

    text = tmp_path / "reply.txt"
    text.write_text("Hi Lina,\n\non the phone too: please update the app to 4.2.\n\nAlex\n")
    edited = run_cli(capsys, "outbox", "edit", "1", "--body-file", str(text))
    assert edited.code == 0, edited.err
    assert "sending #2 in place of #1" in edited.err and "#2 sent" in edited.out
    (received,) = smtp_server.received
    assert received.message["In-Reply-To"] == latest
    assert "please update the app to 4.2" in received.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert store.get(setup.db.conn, row.id).status == "cancelled"  # type: ignore[union-attr]

    again = run_cli(capsys, "outbox", "edit", "2", "--body-file", str(text))
    assert again.code != 0 and "reply #2 is sent: it can no longer be edited" in again.err, again


def test_the_outbox_listing_names_its_columns(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A scheduled reply has two times, where it stands and when it was queued: a header tells them apart."""
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [_question()])
    conversation = setup.conversation_of(MID)
    assert run_cli(capsys, "reply", conversation, "-t", "login-help", "--send-in", "3h", "--yes").code == 0
    (row,) = store.list_rows(setup.db.conn)
    listed = run_cli(capsys, "outbox", "list")
    assert listed.code == 0, listed.err
    header, rule, line = listed.out.splitlines()[:3]
    assert header.split() == ["ID", "State", "Queued", "To", "Subject"]
    assert set(rule) == {"─"} and len(rule) == len(header)
    assert line.startswith("#1 ") and line.index("scheduled ") == header.index("State")
    queued = when_words(row.created_at, datetime.now(UTC))
    assert line.index(f"  {queued}  ") + 2 == header.index("Queued")
    assert line.index("lina@customer.test") == header.index("To")
    assert line.index("Re: Cannot log in") == header.index("Subject")
    as_json = run_cli(capsys, "outbox", "list", "--json")
    (item,) = json.loads(as_json.out)  # scripts read the same rows, with no header
    assert line[header.index("State") :].startswith(item["state"] + " ")
