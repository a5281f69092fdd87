"""HTML-only mail read from a real server: what the reader sees is what is shown and scored.

A customer's mail sent through a sales tool carries a hidden preheader with words that
would score it urgent; an order receipt forwarded as HTML keeps its rows. Synced from
Dovecot by the real engine, read back through 'supportinbox show --json' and 'list'.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest

import supportinbox.mail.fetcher as fetcher_module
from supportinbox.mail.reading import READING
from supportinbox.store.conversations import refresh_conversations
from supportinbox.sync import reread
from tests.data.html_mail import RECEIPT
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server

HIDDEN = "URGENT: your production outage needs action now"


def _html_only(subject: str, html: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Lina Haddad <lina@customer.test>"
    msg["To"] = "Acme Support <support@acme.test>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
    msg["Message-ID"] = message_id or make_msgid(domain="customer.test")
    msg.set_content(html, subtype="html")
    return msg.as_bytes()


def test_hidden_preheader_is_neither_shown_nor_scored_and_tables_keep_rows(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = (
        '<html><body><span class="preheader" style="display:none !important;mso-hide:all;'
        f'font-size:1px;max-height:0;overflow:hidden">{HIDDEN}</span>'
        "<p>Hi, could you send me last month's invoice when you get a chance?</p>"
        "<p>Thanks, Lina</p></body></html>"
    )
    setup = setup_account(
        supportinbox_home,
        dovecot,
        smtp_server,
        [
            _html_only("Invoice copy", quiet, "<invoice-copy@customer.test>"),
            _html_only("Fwd: Your order #1042", RECEIPT, "<receipt-1042@customer.test>"),
        ],
    )
    setup.sync()
    listed = run_cli(capsys, "list", "--json")
    assert listed.code == 0, listed.err
    rows = {row["subject"]: row for row in json.loads(listed.out)}
    invoice = rows["Invoice copy"]
    assert invoice["urgency"] == 0 and invoice["reasons"] == []

    shown = json.loads(run_cli(capsys, "show", invoice["id"], "--json").out)
    body = shown["messages"][0]["body_text"]
    assert HIDDEN not in body and "URGENT" not in body
    assert body.startswith("Hi, could you send me last month's invoice")

    receipt = json.loads(run_cli(capsys, "show", rows["Fwd: Your order #1042"]["id"], "--json").out)
    lines = receipt["messages"][0]["body_text"].splitlines()
    assert "Blue Widget × 2  $40.00" in lines
    assert "Subtotal      $49.50" in lines and "Total     $54.50 USD" in lines


def test_html_mail_cached_by_the_older_reading_is_read_again_once(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quiet = (
        f'<html><body><div style="display:none;max-height:0;overflow:hidden">{HIDDEN}</div>'
        "<p>Hi, could you send me last month's invoice?</p></body></html>"
    )
    setup = setup_account(
        supportinbox_home,
        dovecot,
        smtp_server,
        [
            _html_only("Invoice copy", quiet, "<invoice-copy@customer.test>"),
            make_message(
                subject="Plain question", body="Where is my parcel?", message_id="<plain@customer.test>"
            ),
        ],
    )
    setup.sync()
    # The cache as the older reading left it: the hidden preheader read as the first words.
    conn = setup.db.conn
    with setup.db.transaction():
        conn.execute(
            "UPDATE messages SET body_text = ? WHERE message_id = '<invoice-copy@customer.test>'",
            (f"{HIDDEN}\n\nHi, could you send me last month's invoice?",),
        )
        conn.execute(
            "UPDATE messages SET body_text = 'kept as cached' WHERE message_id = '<plain@customer.test>'"
        )
        conn.execute("DELETE FROM meta WHERE key = ?", (reread.META,))
    refresh_conversations(setup.db, setup.config, setup.account)
    invoice = setup.conversation_of("<invoice-copy@customer.test>")

    def row() -> dict[str, object]:
        listed = run_cli(capsys, "list", "--json")
        return next(r for r in json.loads(listed.out) if r["id"] == invoice)

    assert row()["urgency"] == 30  # what the older reading scored

    sent: list[list[str]] = []
    original = fetcher_module._send_fetch

    def send(imap: Any, uids: str, items: Any, modifiers: Any = ()) -> Any:
        sent.append(list(items))
        return original(imap, uids, items, modifiers)

    monkeypatch.setattr(fetcher_module, "_send_fetch", send)
    setup.sync()
    bodies = dict(conn.execute("SELECT message_id, body_text FROM messages"))
    assert bodies["<invoice-copy@customer.test>"] == "Hi, could you send me last month's invoice?"
    assert bodies["<plain@customer.test>"] == "kept as cached"  # plain text: not fetched again
    assert setup.db.get_meta(reread.META) == str(READING)
    assert row()["urgency"] == 0 and row()["reasons"] == []
    assert any(items == ["BODYSTRUCTURE"] for items in sent)

    sent.clear()
    setup.sync()  # once only
    assert not any(items == ["BODYSTRUCTURE"] for items in sent)
