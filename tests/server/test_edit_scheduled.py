"""Editing a scheduled reply: real Dovecot, real SMTP, the command line and the use cases.

Never sent twice, never lost: not when its time comes while it is open, not when another
process sends the outbox meanwhile, not when the editing process dies.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from supportinbox import paths
from supportinbox.app import outbox as outbox_use
from supportinbox.app.context import AccountContext
from supportinbox.errors import UserError
from supportinbox.mail.outbox import SendStatus, reply_text, send_due
from supportinbox.store import outbox as store
from supportinbox.team.collision import send_checks
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.replies import Setup, run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = [pytest.mark.server]

MID = "<edit-later@customer.test>"
FIXED = "Hi Lina,\n\nplease reset the password from the login page; the link works for 24 hours.\n\nAlex\n"


def _question() -> bytes:
    return make_message(
        sender="Lina Haddad <lina@customer.test>",
        subject="Cannot log in",
        message_id=MID,
        body="Hello, I cannot log in since this morning.",
        date=datetime.now(UTC) - timedelta(minutes=30),
    )


def _scheduled(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> tuple[Setup, store.OutboxRow]:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [_question()])
    conversation = setup.conversation_of(MID)
    done = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send-at", "tomorrow 09:00", "-y")
    assert done.code == 0, done.err
    (row,) = store.list_rows(setup.db.conn)
    assert row.scheduled
    return setup, row


def _ctx(setup: Setup) -> AccountContext:
    return AccountContext(setup.db, setup.config, setup.name, setup.account)


def _time_passes(setup: Setup, outbox_id: int) -> None:
    """Its time comes (the row's time is moved, not the clock)."""
    past = (datetime.now(UTC) - timedelta(seconds=5)).isoformat(timespec="seconds")
    with setup.db.transaction() as conn:
        conn.execute("UPDATE outbox SET not_before = ?, send_at = ? WHERE id = ?", (past, past, outbox_id))


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content()).replace("\r\n", "\n")


def _sent_copies(dovecot: Dovecot) -> list[bytes]:
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        uids = imap.search(["HEADER", "In-Reply-To", MID.strip("<>")])
        return [data[b"RFC822"] for data in imap.fetch(uids, ["RFC822"]).values()]


def _answered(dovecot: Dovecot) -> bool:
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        (uid,) = imap.search(["HEADER", "Message-ID", MID.strip("<>")])
        return b"\\Answered" in imap.get_flags([uid])[uid]


def _lock_files(setup: Setup) -> list[str]:
    folder = paths.outbox_edit_lock_file(setup.name, 0).parent
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_an_edits_lock_file_is_there_only_while_the_edit_is_open(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    setup, row = _scheduled(supportinbox_home, dovecot, smtp_server, capsys)
    ctx = _ctx(setup)
    edit = outbox_use.edit_scheduled(ctx, row.id)
    assert _lock_files(setup) == [paths.outbox_edit_lock_file(setup.name, row.id).name]
    with pytest.raises(UserError, match="is open in an editor in another window"):
        outbox_use.edit_scheduled(ctx, row.id)
    assert outbox_use.give_up_edit(ctx, edit)
    assert _lock_files(setup) == []

    edit = outbox_use.edit_scheduled(ctx, row.id)
    outbox_use.save_edit(ctx, edit, FIXED)
    assert _lock_files(setup) == []

    text = tmp_path / "fixed.txt"
    text.write_text(FIXED.replace("24 hours", "a day"))
    assert run_cli(capsys, "outbox", "edit", str(row.id), "--body-file", str(text)).code == 0
    assert run_cli(capsys, "sync").code == 0  # the send checks every edit lock
    assert _lock_files(setup) == []


def test_an_edited_scheduled_reply_leaves_once_at_its_time_with_the_new_text(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    setup, row = _scheduled(supportinbox_home, dovecot, smtp_server, capsys)
    text = tmp_path / "fixed.txt"
    text.write_text(FIXED)
    edited = run_cli(capsys, "outbox", "edit", str(row.id), "--body-file", str(text))
    assert edited.code == 0, edited.err
    assert edited.out.strip() == f"reply #{row.id} saved: it leaves tomorrow 09:00"
    after = store.get(setup.db.conn, row.id)
    assert after is not None and after.scheduled and after.send_at == row.send_at
    assert after.message_id == row.message_id and len(store.list_rows(setup.db.conn)) == 1
    assert run_cli(capsys, "sync").code == 0
    assert smtp_server.received == []  # not before its time

    _time_passes(setup, row.id)
    synced = run_cli(capsys, "sync")
    assert synced.code == 0 and f"reply #{row.id} sent" in synced.out, synced
    (received,) = smtp_server.received
    assert "the link works for 24 hours" in _text(received.message)
    assert received.message["In-Reply-To"] == MID and MID in str(received.message["References"])
    assert received.message["Message-ID"] == row.message_id
    # Dated the time it was scheduled for, as before the edit.
    assert parsedate_to_datetime(str(received.message["Date"])) == datetime.fromisoformat(row.send_at or "")
    (copy,) = _sent_copies(dovecot)
    assert b"the link works for 24 hours" in copy
    assert _answered(dovecot)
    assert run_cli(capsys, "sync").code == 0 and len(smtp_server.received) == 1


def test_a_new_time_is_kept_and_an_unchanged_text_keeps_the_reply_as_it_was(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    setup, row = _scheduled(supportinbox_home, dovecot, smtp_server, capsys)
    same = tmp_path / "same.txt"
    same.write_text(reply_text(row)[1])
    kept = run_cli(capsys, "outbox", "edit", str(row.id), "--body-file", str(same))
    assert kept.code == 0 and "unchanged: reply #1 still leaves tomorrow 09:00" in kept.out, kept
    assert store.get(setup.db.conn, row.id) == row  # as it was, to the byte

    moved = run_cli(capsys, "outbox", "edit", str(row.id), "--body-file", str(same), "--send-in", "3h")
    assert moved.code == 0, moved.err
    after = store.get(setup.db.conn, row.id)
    assert after is not None and after.scheduled and after.send_at != row.send_at
    due = datetime.fromisoformat(after.send_at or "")
    assert timedelta(hours=2, minutes=59) < due - datetime.now(UTC) <= timedelta(hours=3, minutes=1)
    assert due.second == 0  # a whole minute, said alike everywhere
    assert after.not_before == after.send_at


def test_its_time_coming_while_it_is_open_sends_nothing_until_it_is_saved(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup, row = _scheduled(supportinbox_home, dovecot, smtp_server, capsys)
    ctx = _ctx(setup)
    edit = outbox_use.edit_scheduled(ctx, row.id)
    _time_passes(setup, row.id)

    # Another process sends the outbox meanwhile: a cron sync, and the reply named.
    assert run_cli(capsys, "sync").code == 0
    named = run_cli(capsys, "outbox", "retry", str(row.id))
    assert named.code != 0 and "it is open in an editor" in named.err, named
    listed = run_cli(capsys, "outbox")
    assert "editing, due" in listed.out and "open in an editor since" in listed.out, listed.out
    (as_json,) = json.loads(run_cli(capsys, "outbox", "list", "--json").out)
    assert as_json["status"] == "editing" and as_json["editing_since"], as_json
    second = run_cli(capsys, "outbox", "edit", str(row.id), "--body-file", "-")
    assert second.code != 0 and "open in an editor in another window" in second.err, second
    assert smtp_server.received == []

    saved = outbox_use.save_edit(ctx, edit, FIXED)
    assert saved.due and not saved.kept
    synced = run_cli(capsys, "sync")
    assert synced.code == 0 and f"reply #{row.id} sent" in synced.out, synced
    (received,) = smtp_server.received
    assert "the link works for 24 hours" in _text(received.message)
    assert len(_sent_copies(dovecot)) == 1 and _answered(dovecot)


def test_an_edit_begun_while_a_send_runs_its_checks_keeps_it_from_leaving(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The send read the reply as due, then the user opened it before the send took it."""
    setup, row = _scheduled(supportinbox_home, dovecot, smtp_server, capsys)
    _time_passes(setup, row.id)
    ctx = _ctx(setup)
    opened: list[outbox_use.ScheduledEdit] = []
    checks = send_checks()

    def user_opens_it(*_args: object) -> None:
        opened.append(outbox_use.edit_scheduled(ctx, row.id))

    checks = type(checks)((*checks.before, user_opens_it), checks.after)
    report = send_due(setup.db, setup.name, setup.account, checks=checks)
    (outcome,) = report.outcomes
    assert outcome.status == SendStatus.EDITING and report.ok
    assert smtp_server.received == []
    outbox_use.give_up_edit(ctx, opened[0])
    assert run_cli(capsys, "sync").code == 0
    (received,) = smtp_server.received  # back on its schedule, its time come: sent once
    assert _text(received.message) == reply_text(row)[1]  # as it was


def test_a_reply_discarded_in_another_window_while_open_is_not_saved_nor_sent(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup, row = _scheduled(supportinbox_home, dovecot, smtp_server, capsys)
    ctx = _ctx(setup)
    edit = outbox_use.edit_scheduled(ctx, row.id)
    assert run_cli(capsys, "outbox", "discard", str(row.id)).code == 0
    with pytest.raises(UserError, match="cancelled meanwhile in another window: your edit was not saved"):
        outbox_use.save_edit(ctx, edit, FIXED)
    assert not edit.open
    _time_passes(setup, row.id)
    assert run_cli(capsys, "sync").code == 0
    assert smtp_server.received == []
    assert store.get(setup.db.conn, row.id).status == "cancelled"  # type: ignore[union-attr]


def test_an_edit_left_open_by_a_process_that_was_killed_puts_the_reply_back_on_its_schedule(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup, row = _scheduled(supportinbox_home, dovecot, smtp_server, capsys)
    script = (
        "import sys, time\n"
        "from supportinbox.app import outbox\n"
        "from supportinbox.app.context import AccountContext\n"
        "from supportinbox.config import load_config\n"
        "from supportinbox.store.db import open_database\n"
        "config = load_config()\n"
        "name, account = config.account(None)\n"
        "db = open_database(account=name)\n"
        f"edit = outbox.edit_scheduled(AccountContext(db, config, name, account), {row.id})\n"
        "print('open', flush=True)\n"
        "time.sleep(60)\n"
    )
    editor = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    try:
        assert editor.stdout is not None and editor.stdout.readline().strip() == "open"
        assert store.get(setup.db.conn, row.id).status == "editing"  # type: ignore[union-attr]
        _time_passes(setup, row.id)
        assert run_cli(capsys, "sync").code == 0
        assert smtp_server.received == []  # open in the other process: it does not leave
    finally:
        editor.send_signal(signal.SIGKILL)
        editor.wait()

    # Its lock file is left behind, holding nothing: it blocks no one.
    assert _lock_files(setup) == [paths.outbox_edit_lock_file(setup.name, row.id).name]
    assert not outbox_use.edit_open(_ctx(setup), row.id)
    synced = run_cli(capsys, "sync")  # the editor is gone: its time has come, it leaves as it was
    assert synced.code == 0 and f"reply #{row.id} sent" in synced.out, synced
    assert _lock_files(setup) == []  # and the send took the leftover away
    assert len(smtp_server.received) == 1 and len(_sent_copies(dovecot)) == 1
    assert run_cli(capsys, "sync").code == 0 and len(smtp_server.received) == 1


def test_the_customer_writing_while_it_is_open_keeps_the_edit_as_a_draft(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup, row = _scheduled(supportinbox_home, dovecot, smtp_server, capsys)
    ctx = _ctx(setup)
    edit = outbox_use.edit_scheduled(ctx, row.id)
    append(
        dovecot,
        [
            make_message(
                sender="Lina Haddad <lina@customer.test>",
                subject="Re: Cannot log in",
                message_id="<edit-later-2@customer.test>",
                in_reply_to=MID,
                references=MID,
                body="Never mind, it works again.",
            )
        ],
    )
    assert run_cli(capsys, "sync").code == 0
    saved = outbox_use.save_edit(ctx, edit, FIXED)
    assert saved.kept.startswith("Lina Haddad wrote again ")
    kept = store.get(setup.db.conn, row.id)
    assert kept is not None and kept.status == "draft"
    assert "the link works for 24 hours" in reply_text(kept)[1]
    _time_passes(setup, row.id)
    assert run_cli(capsys, "sync").code == 0 and smtp_server.received == []


def test_a_format_flowed_reply_is_edited_as_its_paragraphs_and_stays_flowed(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [_question()], extra="\n[replies]\nformat_flowed = true\n"
    )
    conversation = setup.conversation_of(MID)
    done = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send-at", "tomorrow 09:00", "-y")
    assert done.code == 0, done.err
    (row,) = store.list_rows(setup.db.conn)
    ctx = _ctx(setup)
    paragraph = "The reset link " + "works for a day and can be asked for again " * 4 + "at any time."
    first = outbox_use.edit_scheduled(ctx, row.id)
    outbox_use.save_edit(ctx, first, f"Hi Lina,\n\n{paragraph}\n\nAlex\n")
    cut = store.get(setup.db.conn, row.id)
    assert cut is not None and " \r\n" in cut.raw.decode("ascii")  # cut with soft breaks on the wire

    edit = outbox_use.edit_scheduled(ctx, row.id)
    # The paragraph as written, not the lines it was cut into for the wire.
    assert edit.text == f"Hi Lina,\n\n{paragraph}\n\nAlex\n"
    outbox_use.save_edit(ctx, edit, edit.text.replace("Hi Lina,", "Hello Lina,"))
    saved = store.get(setup.db.conn, row.id)
    assert saved is not None
    msg, text = reply_text(saved)
    body = msg.get_body(("plain",))
    assert isinstance(body, EmailMessage) and body.get_param("format") == "flowed"
    assert text == f"Hello Lina,\n\n{paragraph}\n\nAlex\n"
    # Still cut with soft breaks: the customer's client rewraps the paragraph.
    assert saved.raw.split(b"\r\n\r\n", 1)[1] == cut.raw.split(b"\r\n\r\n", 1)[1].replace(
        b"Hi Lina,", b"Hello Lina,"
    )
