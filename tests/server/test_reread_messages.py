"""A cache made by an older reading of whole messages is read again, once, at its next sync.

The cache is made as a release before the forward and calendar readings left it: a message
forwarded as an attachment with no text of its own and an unnamed attachment, a calendar
invitation waiting in the open queue, and no ``message_reading`` mark. Synced from Dovecot
by the real engine, read back through 'supportinbox show' and 'list'.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

import supportinbox.mail.fetcher as fetcher_module
from supportinbox.mail.reading import MESSAGE_META, MESSAGE_READING
from supportinbox.store.conversations import refresh_conversations
from supportinbox.sync import reread
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import Setup, run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server

_ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:call@megacorp.test\r\n"
    "DTSTART:20261210T140000Z\r\nSUMMARY:Urgent: renewal call\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _forward() -> bytes:
    inner = EmailMessage()
    inner["From"] = "Priya Nair <priya@lotus-retail.test>"
    inner["Subject"] = "Checkout fails with error 502"
    inner["Date"] = "Mon, 07 Dec 2026 09:02:00 +0000"
    inner.set_content("Our checkout page fails with error 502.\n")
    outer = MIMEMultipart("mixed")
    outer["From"] = "Dan Miller <dan@acme-partners.test>"
    outer["To"] = "support@acme.test"
    outer["Subject"] = "Fwd: Checkout fails with error 502"
    outer["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=9))
    outer["Message-ID"] = "<fwd@acme-partners.test>"
    outer.attach(MIMEMessage(inner))
    return outer.as_bytes()


def _invitation() -> bytes:
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("Urgent: renewal call\n", "plain"))
    calendar = MIMEText(_ICS, "calendar", "utf-8")
    calendar.set_param("method", "REQUEST")
    alternative.attach(calendar)
    alternative["From"] = "Helen Zhao <helen.zhao@megacorp.test>"
    alternative["To"] = "support@acme.test"
    alternative["Subject"] = "Invitation: Urgent: renewal call"
    alternative["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=8))
    alternative["Message-ID"] = "<invite@megacorp.test>"
    return alternative.as_bytes()


def _as_the_older_reading_left_it(setup: Setup) -> None:
    """The rows an older reading wrote, the user's own change on them, and no mark."""
    with setup.db.transaction() as conn:
        conn.execute(
            "UPDATE messages SET body_text = '', attachments = ? "
            "WHERE message_id = '<fwd@acme-partners.test>'",
            (json.dumps([{"filename": "", "content_type": "message/rfc822", "size": 700, "part": "1"}]),),
        )
        conn.execute(
            "UPDATE messages SET automated = '', automated_reason = '' "
            "WHERE message_id = '<invite@megacorp.test>'"
        )
        conn.execute("UPDATE messages SET flags = '\\Seen' WHERE message_id = '<plain@customer.test>'")
        conn.execute("DELETE FROM meta WHERE key = ?", (MESSAGE_META,))
    refresh_conversations(setup.db, setup.config, setup.account)


def _open(capsys: pytest.CaptureFixture[str]) -> set[str]:
    listed = run_cli(capsys, "list", "--status", "open", "--json")
    assert listed.code == 0, listed.err
    return {row["subject"] for row in json.loads(listed.out)}


def _counting_fetches(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    sent: list[list[str]] = []
    original = fetcher_module._send_fetch

    def send(imap: Any, uids: str, items: Any, modifiers: Any = ()) -> Any:
        sent.append(list(items))
        return original(imap, uids, items, modifiers)

    monkeypatch.setattr(fetcher_module, "_send_fetch", send)
    return sent


def test_a_cache_read_by_the_older_reading_reads_every_message_again_once(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = make_message(
        subject="Where is my parcel?", body="Order 1042.", message_id="<plain@customer.test>"
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [_forward(), _invitation(), plain])
    _as_the_older_reading_left_it(setup)
    fwd = setup.conversation_of("<fwd@acme-partners.test>")
    assert "Invitation: Urgent: renewal call" in _open(capsys)
    assert "(no text)" in run_cli(capsys, "show", fwd).out

    sent = _counting_fetches(monkeypatch)
    setup.sync()
    shown = run_cli(capsys, "show", fwd).out
    assert "(no text)" not in shown
    assert "---------- Forwarded message ----------\nFrom: Priya Nair <priya@lotus-retail.test>" in shown
    assert "Our checkout page fails with error 502." in shown
    assert "  attachment: Checkout fails with error 502.eml (" in shown
    assert _open(capsys) == {"Fwd: Checkout fails with error 502", "Where is my parcel?"}
    # What the user changed stays: only the message's reading is written.
    flags = setup.db.conn.execute("SELECT flags FROM messages WHERE message_id = '<plain@customer.test>'")
    assert flags.fetchone()[0] == "\\Seen"
    assert setup.db.get_meta(MESSAGE_META) == str(MESSAGE_READING)
    assert any("BODYSTRUCTURE" in items for items in sent)
    # No whole message, no attachment: each section asked for is capped (header, text).
    asked = [item for items in sent for item in items]
    assert not {"RFC822", "BODY.PEEK[]", "BODY[]"} & set(asked)
    assert all("]<0." in item for item in asked if item.startswith("BODY.PEEK["))

    sent.clear()
    setup.sync()  # once only
    assert not any("BODYSTRUCTURE" in items for items in sent)


def test_a_reading_stopped_half_way_is_done_again_at_the_next_sync(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [_forward(), _invitation()])
    _as_the_older_reading_left_it(setup)
    original = reread._whole_messages

    def stops_after_inbox(imap: Any, db: Any, folder_id: int, uids: list[int]) -> int:
        original(imap, db, folder_id, uids)
        raise ConnectionResetError("the network went away")

    with monkeypatch.context() as broken:
        broken.setattr(reread, "_whole_messages", stops_after_inbox)
        with pytest.raises(Exception, match=r"network|[Cc]onnection"):
            setup.sync()
    # The INBOX batch was written; the mark is not: the next sync reads it all again.
    assert setup.db.get_meta(MESSAGE_META) is None
    setup.sync()
    assert setup.db.get_meta(MESSAGE_META) == str(MESSAGE_READING)
    assert _open(capsys) == {"Fwd: Checkout fails with error 502"}
    assert (
        "Our checkout page fails with error 502."
        in run_cli(capsys, "show", setup.conversation_of("<fwd@acme-partners.test>")).out
    )
