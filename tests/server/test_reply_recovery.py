"""A reply is never lost and never sent twice, even when the process is killed mid-send.

Each test runs the real command line in a subprocess that SIGKILLs itself at a crash point
of the outbox (see supportinbox/faults.py), then runs 'outbox retry' and counts what the
SMTP server received and what the Sent folder holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.store import outbox as store
from tests.harness.cliproc import Run
from tests.harness.cliproc import run_cli as run_process
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.replies import Setup, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server

KILLED = -9


def _count_in(dovecot: Dovecot, folder: str, message_id: str) -> int:
    with client(dovecot) as imap:
        imap.select_folder(folder, readonly=True)
        return len(imap.search(["HEADER", "Message-ID", message_id.strip("<>")]))


def _answered(dovecot: Dovecot, message_id: str) -> bool:
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        (uid,) = imap.search(["HEADER", "Message-ID", message_id.strip("<>")])
        return b"\\Answered" in imap.get_flags([uid])[uid]


def _send_and_crash(home: Path, setup: Setup, conversation: str, label: str) -> Run:
    run = run_process(
        home,
        "reply",
        conversation,
        "-t",
        "acknowledge-investigating",
        "--send",
        "--yes",
        env={"SUPPORTINBOX_TEST_CRASH_AT": f"{label}:1"},
    )
    assert run.returncode == KILLED, run.describe()
    return run


def _setup(home: Path, dovecot: Dovecot, smtp_server: SmtpServer) -> tuple[Setup, str]:
    setup = setup_account(home, dovecot, smtp_server, [make_message(message_id="<k1@customer.test>")])
    return setup, setup.conversation_of("<k1@customer.test>")


def _only_row(setup: Setup) -> store.OutboxRow:
    (row,) = store.list_rows(setup.db.conn)
    return row


def test_killed_after_smtp_recorded_is_finished_without_resending(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    setup, conversation = _setup(supportinbox_home, dovecot, smtp_server)
    _send_and_crash(supportinbox_home, setup, conversation, "outbox.after_smtp_done")
    assert len(smtp_server.received) == 1
    row = _only_row(setup)
    assert row.status == "sending" and row.smtp_done_at is not None and not row.filed_in_sent
    assert _count_in(dovecot, "Sent", row.message_id) == 0

    retry = run_process(supportinbox_home, "outbox", "retry")
    assert retry.returncode == 0, retry.describe()
    assert len(smtp_server.received) == 1
    assert _count_in(dovecot, "Sent", row.message_id) == 1
    assert _answered(dovecot, "<k1@customer.test>")
    assert _only_row(setup).status == "sent"


def test_killed_after_append_files_only_one_copy(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    setup, conversation = _setup(supportinbox_home, dovecot, smtp_server)
    _send_and_crash(supportinbox_home, setup, conversation, "outbox.after_append")
    row = _only_row(setup)
    assert _count_in(dovecot, "Sent", row.message_id) == 1 and not row.filed_in_sent

    retry = run_process(supportinbox_home, "outbox", "retry")
    assert retry.returncode == 0, retry.describe()
    assert len(smtp_server.received) == 1
    assert _count_in(dovecot, "Sent", row.message_id) == 1
    assert _only_row(setup).status == "sent"


def test_killed_before_recording_smtp_but_found_in_sent_is_not_resent(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    """The server accepted the reply and filed it in Sent itself, then the process died."""
    setup, conversation = _setup(supportinbox_home, dovecot, smtp_server)
    _send_and_crash(supportinbox_home, setup, conversation, "outbox.after_smtp")
    assert len(smtp_server.received) == 1
    row = _only_row(setup)
    assert row.status == "sending" and row.smtp_done_at is None
    append(dovecot, [smtp_server.received[0].raw], folder="Sent")

    # The retry finds it in Sent: bookkeeping only, no second SMTP delivery.
    retry = run_process(supportinbox_home, "outbox", "retry")
    assert retry.returncode == 0, retry.describe()
    assert len(smtp_server.received) == 1
    assert _count_in(dovecot, "Sent", row.message_id) == 1
    assert _answered(dovecot, "<k1@customer.test>")
    row = _only_row(setup)
    assert row.status == "sent" and row.smtp_done_at is not None


def test_killed_before_smtp_is_sent_exactly_once_on_retry(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    setup, conversation = _setup(supportinbox_home, dovecot, smtp_server)
    _send_and_crash(supportinbox_home, setup, conversation, "outbox.after_claim")
    assert smtp_server.received == []
    row = _only_row(setup)
    assert row.status == "sending" and row.attempts == 1

    listing = run_process(supportinbox_home, "outbox")
    assert f"#{row.id}" in listing.stdout and "sending" in listing.stdout

    retry = run_process(supportinbox_home, "outbox", "retry")
    assert retry.returncode == 0, retry.describe()
    assert len(smtp_server.received) == 1
    again = run_process(supportinbox_home, "outbox", "retry")
    assert again.returncode == 0 and "nothing to send" in again.stdout
    assert len(smtp_server.received) == 1
    assert _count_in(dovecot, "Sent", row.message_id) == 1


def test_interrupted_send_is_not_repeated_while_sent_cannot_be_checked(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    setup, conversation = _setup(supportinbox_home, dovecot, smtp_server)
    _send_and_crash(supportinbox_home, setup, conversation, "outbox.after_claim")
    dovecot.stop()
    retry = run_process(supportinbox_home, "outbox", "retry")
    assert retry.returncode != 0 and "Traceback" not in retry.stderr
    assert "Sent folder could not be checked" in retry.stderr
    assert smtp_server.received == []
    dovecot.start()
    retry = run_process(supportinbox_home, "outbox", "retry")
    assert retry.returncode == 0, retry.describe()
    assert len(smtp_server.received) == 1
