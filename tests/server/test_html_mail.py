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

import pytest

from tests.data.html_mail import RECEIPT
from tests.harness.dovecot import Dovecot
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
