"""Replying: template picker with live preview, editor, undo countdown, sending, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox import paths
from supportinbox.config import load_config
from supportinbox.store import outbox as outbox_store
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.editor import ReplyEditorScreen, UndoModal
from supportinbox.tui.screens.modals import ErrorModal
from supportinbox.tui.screens.reply import TemplatePickerScreen
from supportinbox.tui.widgets.status_bar import StatusBar
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer
from tests.tui.support import (
    SIZE,
    demo_app,
    first_conversation,
    pilot_test,
    queue,
    select_subject,
    settle,
    wait_until,
)


@pilot_test
async def test_picker_filters_and_previews_for_this_customer() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        await pilot.press("r")
        assert isinstance(app.screen, TemplatePickerScreen)
        await pilot.press(*"refnd")
        await settle(pilot)
        preview = str(app.screen.query_one("#preview").render())
        head = str(app.screen.query_one("#preview-head").render())
        assert "priya@quillpad.example" in head and "refund-processed" in head
        assert "Hi Priya," in preview
        await pilot.press("escape")
        assert not isinstance(app.screen, TemplatePickerScreen)


@pilot_test
async def test_demo_reply_is_saved_as_eml_after_the_countdown_and_joins_the_thread() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        await pilot.press("enter", "r", *"refund", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReplyEditorScreen)
        await pilot.press("end", *" PS: the duplicate was refunded today.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, UndoModal)
        await pilot.press("enter")  # send now instead of waiting the undo window out
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        files = list(paths.demo_outbox_dir().glob("*.eml"))
        assert len(files) == 1
        raw = files[0].read_bytes()
        assert b"To: Priya Natarajan <priya@quillpad.example>" in raw
        assert b"In-Reply-To: <demo-" in raw
        detail = app.service.conversation(app.screen.conversation_id)
        # (the reply carries the real time, the test a frozen one, so it need not sort last)
        assert any(m.from_us and "duplicate was refunded" in m.body_text for m in detail.messages)
        assert detail.summary.status == "closed"  # the template's status
        assert app.service.outbox_count() == 1  # only the demo's reply scheduled for tomorrow
        # The reply closed it where the user reads it: no word about the queue behind.
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert "Reply sent." in said or any("saved to" in text for text in said), said
        assert not any("left Open" in text or "the cursor is on" in text for text in said), said


@pilot_test
async def test_undo_during_the_countdown_cancels_and_keeps_the_text() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        await pilot.press("r", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen)
        text = editor.body
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, UndoModal)
        await pilot.press("u")
        await settle(pilot)
        assert app.screen is editor and editor.body == text
        assert not list(paths.demo_outbox_dir().glob("*.eml"))
        rows = outbox_store.list_rows(app.service.reader.conn)
        assert [r.status for r in rows if not r.send_at] == ["cancelled"]  # the demo's scheduled aside


def _server_app(home: Path, dovecot: Dovecot, smtp: SmtpServer) -> object:
    message = make_message(
        sender="Lina Haddad <lina@customer.test>",
        subject="Cannot log in",
        message_id="<tui1@customer.test>",
        body="Hello, I cannot log in since this morning.",
    )
    setup = setup_account(home, dovecot, smtp, [message], extra="\n[ui]\nidle = false\n")
    setup.db.close()
    return build_app(load_config())


@pytest.mark.server
@pilot_test
async def test_reply_goes_out_through_real_smtp(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    app = _server_app(supportinbox_home, dovecot, smtp_server)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: not app.sync_status.syncing)  # type: ignore[attr-defined]
        await pilot.press("r", *"login", "enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)
        await settle(pilot)
        sent = smtp_server.received[0].message
        assert sent["In-Reply-To"] == "<tui1@customer.test>"
        assert sent["To"] == "Lina Haddad <lina@customer.test>"
        assert "Hi Lina," in sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert app.service.outbox_count() == 0  # type: ignore[attr-defined]


@pytest.mark.server
@pilot_test
async def test_refused_send_shows_a_readable_error_and_keeps_the_reply(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    app = _server_app(supportinbox_home, dovecot, smtp_server)
    smtp_server.set_refusing(True)
    async with app.run_test(size=SIZE) as pilot:  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: not app.sync_status.syncing)  # type: ignore[attr-defined]
        await pilot.press("r", "enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))  # type: ignore[attr-defined]
        modal = app.screen  # type: ignore[attr-defined]
        text = " ".join(str(w.render()) for w in modal.query("Static, Label"))
        assert "Not sent" in text and "outbox" in text and "Traceback" not in text
        rows = outbox_store.list_rows(app.service.reader.conn)  # type: ignore[attr-defined]
        assert [r.status for r in rows] == ["failed"]
        await pilot.press("enter")
        bar = app.screen.query_one(StatusBar)  # type: ignore[attr-defined]
        assert "outbox 1" in str(bar.render())
        assert smtp_server.received == []


@pilot_test
async def test_an_incident_is_one_row_that_expands_and_one_key_answers_every_customer() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = queue(app)
        rows = table.total
        top = table.current
        assert top is not None and top.customer_name == "4 customers"
        assert top.subject == "▸ incident: 'api 502' in 38m"
        await pilot.press("enter")  # unfolds instead of opening
        await settle(pilot)
        assert table.total == rows + 4 and not isinstance(app.screen, ConversationScreen)
        await pilot.press("r")
        assert isinstance(app.screen, TemplatePickerScreen)
        await pilot.press(*"acknowledge", "enter")
        await settle(pilot)
        await pilot.press("y")  # "Send 'acknowledge-investigating' to 4 customers?"
        await wait_until(pilot, lambda: len(list(paths.demo_outbox_dir().glob("*.eml"))) == 4)
        sent = [f.read_bytes() for f in paths.demo_outbox_dir().glob("*.eml")]
        # Each in their language where the template has it: Jonas writes German.
        for greeting in (b"Hallo Jonas", b"Hi Sophie", b"Hi Deepak", b"Hi Marta"):
            (raw,) = [r for r in sent if greeting + b"," in r]
            assert b"In-Reply-To: <demo-" in raw
        assert app.service.outbox_count() == 1  # only the demo's reply scheduled for tomorrow
        # The demo saves replies: "Sent to 4 customers." was untrue there.
        await wait_until(pilot, lambda: any("Wrote 4 replies" in str(n.message) for n in app._notifications))
        said = [str(n.message) for n in app._notifications]
        assert not any("Sent to" in s for s in said), said
        assert any("nothing is sent" in s and str(paths.demo_outbox_dir()) in s for s in said), said
        # Answered: a second 'r' on the incident does not send each customer a second reply.
        await settle(pilot)
        table.move_cursor(row=0)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert not isinstance(app.screen, TemplatePickerScreen)
        assert any("Nobody in this incident is waiting" in str(n.message) for n in app._notifications)
