"""Read state on a real server: opening marks \\Seen, unread takes it back, offline it waits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.harness.dovecot import Dovecot
from tests.harness.mail import client, make_message
from tests.harness.replies import Setup, run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server


def _seen_on_server(dovecot: Dovecot) -> dict[str, bool]:
    """Message-ID -> whether the server has \\Seen on it, for the INBOX."""
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        data = imap.fetch(imap.search(["ALL"]), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    out = {}
    for item in data.values():
        header = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1].strip()
        out[header] = b"\\Seen" in item[b"FLAGS"]
    return out


def _two_messages(home: Path, dovecot: Dovecot, smtp: SmtpServer, extra: str = "") -> Setup:
    first = make_message(
        subject="Cannot log in",
        message_id="<r1@customer.test>",
        date=datetime.now(UTC) - timedelta(hours=2),
    )
    second = make_message(
        subject="Re: Cannot log in",
        message_id="<r2@customer.test>",
        in_reply_to="<r1@customer.test>",
        references="<r1@customer.test>",
        body="Still broken.",
    )
    return setup_account(home, dovecot, smtp, [first, second], extra=extra)


def _unread(capsys: pytest.CaptureFixture[str], conversation: str) -> int:
    rows = json.loads(run_cli(capsys, "list", "--status", "all", "--json").out)
    return int(next(r["unread_count"] for r in rows if r["id"] == conversation))


def test_show_marks_read_and_mark_unread_takes_the_latest_back_on_the_server(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = _two_messages(supportinbox_home, dovecot, smtp_server)
    conversation = setup.conversation_of("<r1@customer.test>")
    assert _unread(capsys, conversation) == 2
    assert run_cli(capsys, "show", conversation).code == 0
    assert _unread(capsys, conversation) == 0
    assert _seen_on_server(dovecot) == {"<r1@customer.test>": False, "<r2@customer.test>": False}
    assert run_cli(capsys, "sync").code == 0
    assert _seen_on_server(dovecot) == {"<r1@customer.test>": True, "<r2@customer.test>": True}

    marked = run_cli(capsys, "mark", conversation, "unread")
    assert marked.code == 0, marked.err
    assert _unread(capsys, conversation) == 1
    assert run_cli(capsys, "sync").code == 0
    assert _seen_on_server(dovecot) == {"<r1@customer.test>": True, "<r2@customer.test>": False}
    # The sync brought the server's flags back: they agree with ours.
    assert _unread(capsys, conversation) == 1


def test_reading_offline_is_queued_and_reaches_the_server_with_the_next_sync(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = _two_messages(supportinbox_home, dovecot, smtp_server)
    conversation = setup.conversation_of("<r1@customer.test>")
    dovecot.stop()
    try:
        assert run_cli(capsys, "show", conversation).code == 0
        queued = setup.db.conn.execute("SELECT kind, payload FROM pending_ops").fetchall()
        assert [r[0] for r in queued] == ["add_flags", "add_flags"]
    finally:
        dovecot.start()
    assert run_cli(capsys, "sync").code == 0
    assert set(_seen_on_server(dovecot).values()) == {True}
    assert setup.db.conn.execute("SELECT COUNT(*) FROM pending_ops").fetchone()[0] == 0


@pytest.mark.parametrize(("mode", "after_show", "after_reply"), [("never", 2, 2), ("reply", 2, 0)])
def test_mark_read_setting(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    mode: str,
    after_show: int,
    after_reply: int,
) -> None:
    setup = _two_messages(supportinbox_home, dovecot, smtp_server, extra=f'\n[ui]\nmark_read = "{mode}"\n')
    conversation = setup.conversation_of("<r1@customer.test>")
    assert run_cli(capsys, "show", conversation).code == 0
    assert _unread(capsys, conversation) == after_show
    sent = run_cli(capsys, "reply", conversation, "-t", "acknowledge-investigating", "--send", "--yes")
    assert sent.code == 0, sent.err
    assert _unread(capsys, conversation) == after_reply
