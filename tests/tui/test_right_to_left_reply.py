"""A reply written in Arabic reads right to left in the editor and goes out as typed (real SMTP).

A terminal that orders bidi text drew each row of the editor as a left-to-right paragraph:
the full stop of an Arabic sentence stood at its right end and "Acme Pro 2.4" broke the
sentence in two. The text sent is the text in its logical order, in UTF-8, with no mark
the editor's drawing needs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.editor import ReplyEditorScreen, UndoModal
from supportinbox.tui.widgets.directed_text import DirectedText, DirectedTextArea
from tests.harness.bidi import drawn
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer
from tests.tui.support import pilot_test, settle, wait_until

pytestmark = pytest.mark.server

SUBJECT = "مشكلة في الفاتورة رقم 4521"
# "Hello Ahmed the fix is in Acme Pro 2.4 since today."
ARABIC = "مرحبا أحمد الإصلاح موجود في Acme Pro 2.4 منذ اليوم."
ENGLISH = "Best regards, Lina"
BIDI_MARKS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _app(home: Path, dovecot: Dovecot, smtp: SmtpServer) -> SupportInboxApp:
    message = make_message(
        sender="أحمد خليل <ahmed@customer.test>",
        subject=SUBJECT,
        message_id="<rtl-reply@customer.test>",
        body="مرحبا، لدي مشكلة في الفاتورة رقم 4521.",
    )
    setup = setup_account(home, dovecot, smtp, [message], extra="\n[ui]\nidle = false\n")
    setup.db.close()
    return build_app(load_config())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pilot_test
async def test_an_arabic_reply_reads_right_to_left_and_is_sent_as_typed(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, size: tuple[int, int]
) -> None:
    app = _app(supportinbox_home, dovecot, smtp_server)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("r", *"write yourself", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen)
        await pilot.press("ctrl+home", *ARABIC, "enter", *ENGLISH, "enter", "enter")
        await settle(pilot)
        assert editor.body.startswith(f"{ARABIC}\n{ENGLISH}\n")

        # Drawn: the Arabic row reads as a right-to-left paragraph, the English one as typed.
        area = editor.query_one(DirectedTextArea)
        rows = [area.render_line(y).text for y in range(area.size.height)]
        arabic_row = next(row for row in rows if "Acme" in row)
        assert drawn(arabic_row).strip() == drawn(ARABIC, base_dir="R"), drawn(arabic_row)
        assert next(row for row in rows if "Best" in row).strip() == ENGLISH

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, UndoModal)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)

    sent = smtp_server.received[0]
    mail = sent.message
    assert mail["Subject"] == f"Re: {SUBJECT}"
    assert sent.raw.isascii()  # every header and the body encoded for any relay
    part = mail.get_body(("plain",))
    assert part is not None and part.get_content_charset() == "utf-8"
    body = part.get_content().replace("\r\n", "\n")  # as SMTP carries it: CR LF
    assert body.startswith(f"{ARABIC}\n{ENGLISH}\n"), body
    assert not set(BIDI_MARKS) & set(body)
    assert ARABIC.encode() in part.get_payload(decode=True)


@pilot_test
async def test_an_arabic_reply_waiting_in_the_outbox_reads_right_to_left(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    app = _app(supportinbox_home, dovecot, smtp_server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("r", *"write yourself", "enter")
        await settle(pilot)
        await pilot.press("ctrl+home", *ARABIC, "enter", *ENGLISH)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("enter")  # the time offered: tomorrow
        await settle(pilot)
        await pilot.press("O")
        await wait_until(pilot, lambda: bool(app.screen.query("#outbox-text")))
        await settle(pilot)
        body = app.screen.query_one("#outbox-text", DirectedText)
        rows = [body.render_line(y).text for y in range(body.size.height)]
        arabic_row = next(row for row in rows if "Acme" in row)
        assert drawn(arabic_row).strip() == drawn(ARABIC, base_dir="R"), drawn(arabic_row)
        assert arabic_row.rstrip().endswith("\u2069")  # aligned to the right, where it starts
        assert not smtp_server.received
