"""Send later in the app: Ctrl+T beside Ctrl+S, the Outbox with its time, and a scheduled
reply the customer overtook kept as a draft (real Dovecot and SMTP), sent only on request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TextArea

from supportinbox import paths
from supportinbox.config import load_config
from supportinbox.domain.when import when_words
from supportinbox.mail.outbox import reply_text
from supportinbox.store import outbox as outbox_store
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.editor import ReplyEditorScreen, UndoModal
from supportinbox.tui.screens.outbox import OutboxScreen
from supportinbox.tui.screens.send_later import SendLaterModal
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer
from tests.tui.support import SIZE, demo_app, frozen, pilot_test, select_subject, settle, wait_until

MID = "<later-tui@customer.test>"


def _said(app: SupportInboxApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def _text(app: SupportInboxApp) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("Static, Label"))


@pilot_test
async def test_ctrl_t_schedules_the_reply_and_the_outbox_shows_its_time() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        await pilot.press("r", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen)
        body = editor.body
        await pilot.press("ctrl+t")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, SendLaterModal)
        assert "Send later to Priya Natarajan" in _text(app)
        field = modal.query_one(Input)
        field.value = "someday"
        await pilot.press("enter")  # not a time: the box stays, saying why
        await settle(pilot)
        assert app.screen is modal and "'someday' is not a time ahead: try 2h, 09:00" in _text(app)
        await pilot.press("escape")  # back to the reply, text intact
        assert app.screen is editor and editor.body == body
        await pilot.press("ctrl+t")
        await settle(pilot)
        app.screen.query_one(Input).value = "2h"
        await settle(pilot)
        leaves = frozen() + timedelta(hours=2)
        assert f"Leaves today {leaves.astimezone():%H:%M}" in _text(app) or "Leaves tomorrow" in _text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, (ReplyEditorScreen, SendLaterModal))
        assert any(
            "leaves" in s and "kept as a draft if Priya Natarajan writes first" in s for s in _said(app)
        )
        rows = [r for r in app.service.outbox_rows() if "Charged twice" in r.subject]
        (row,) = rows
        assert row.scheduled and row.send_at == leaves.isoformat(timespec="seconds")
        assert not list(paths.demo_outbox_dir().glob("*.eml"))  # nothing left
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        table = app.screen.query_one(DataTable)
        states = [table.get_row_at(i)[1].plain for i in range(table.row_count)]
        assert f"scheduled {when_words(leaves, frozen(), ahead=True)}" in states
        table.move_cursor(row=states.index(f"scheduled {when_words(leaves, frozen(), ahead=True)}"))
        await settle(pilot)
        why = _text(app)
        assert "unless the customer writes first; e edits it, r sends it now, d drops it" in why, why


@pilot_test
async def test_a_contact_form_reply_names_the_customer_not_the_website() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await select_subject(pilot, "New message from the contact form")
        await pilot.press("r", "enter")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "Send later to Nadia Rahimi" in _text(app) or "Send later to Tariq Aziz" in _text(app)
        await pilot.press("enter")
        await settle(pilot)
        told = [s for s in _said(app) if "kept as a draft if" in s]
        assert told and "Acme Website" not in told[0], told
        assert "if Nadia Rahimi writes first" in told[0] or "if Tariq Aziz writes first" in told[0]


def _server_app(home: Path, dovecot: Dovecot, smtp: SmtpServer) -> SupportInboxApp:
    message = make_message(
        sender="Lina Haddad <lina@customer.test>",
        subject="Cannot log in",
        message_id=MID,
        body="Help!",
        date=datetime.now(UTC) - timedelta(minutes=20),
    )
    setup_account(home, dovecot, smtp, [message], extra="\n[ui]\nidle = false\n").db.close()
    return build_app(load_config())


async def _scheduled_then_overtaken(
    pilot: Pilot[None], app: SupportInboxApp, dovecot: Dovecot, message_id: str, body: str
) -> outbox_store.OutboxRow:
    """After the first sync, schedule a reply to Lina for tomorrow 09:00; she writes again
    (``body``) before it leaves, and the next sync ('s') says it was not sent. The reply as
    it was scheduled."""
    await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
    await pilot.press("r", "enter")
    await settle(pilot)
    await pilot.press("ctrl+t")
    await settle(pilot)
    app.screen.query_one(Input).value = "tomorrow 09:00"
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(app.service.outbox_rows()) == 1)
    (row,) = app.service.outbox_rows()
    scheduled = outbox_store.get(app.service.reader.conn, row.id)
    assert scheduled is not None
    append(
        dovecot,
        [
            make_message(
                sender="Lina Haddad <lina@customer.test>",
                subject="Re: Cannot log in",
                message_id=message_id,
                in_reply_to=MID,
                references=MID,
                body=body,
            )
        ],
    )
    await pilot.press("s")
    await wait_until(pilot, lambda: any("not sent" in s for s in _said(app)))
    return scheduled


@pytest.mark.server
@pilot_test
async def test_the_customer_writing_first_keeps_the_scheduled_reply_as_a_draft(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    app = _server_app(supportinbox_home, dovecot, smtp_server)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        row = await _scheduled_then_overtaken(
            pilot, app, dovecot, "<later-tui-2@customer.test>", "Never mind, it works now!"
        )
        assert row.scheduled
        (notice,) = [s for s in _said(app) if "not sent" in s]
        assert f"Reply #{row.id} not sent: Lina Haddad wrote again " in notice, notice
        kept = outbox_store.get(app.service.reader.conn, row.id)
        assert kept is not None and kept.status == "draft"
        assert smtp_server.received == []

        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        assert app.screen.query_one(DataTable).get_row_at(0)[1].plain == "draft: customer wrote"
        why = _text(app)
        assert (
            "Kept as a draft: e edits it to answer the customer's latest message, r sends it as it is" in why
        ), why
        await pilot.press("r")  # the user decides: as it is
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)
        await settle(pilot)
        sent = outbox_store.get(app.service.reader.conn, row.id)
        assert sent is not None and sent.status == "sent"
        assert smtp_server.received[0].message["In-Reply-To"] == MID


@pytest.mark.server
@pilot_test
async def test_a_kept_draft_is_edited_again_and_answers_the_latest_message(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    app = _server_app(supportinbox_home, dovecot, smtp_server)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        later = "<later-tui-3@customer.test>"
        row = await _scheduled_then_overtaken(
            pilot, app, dovecot, later, "Also: the app shows error 42 on my phone."
        )
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)

        # Opened and left unchanged: the kept draft stays as it was.
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen) and editor.replaces == row.id
        assert editor.body == reply_text(row)[1]  # the text as it was kept
        assert editor.draft.original.message_id == later  # it answers the latest message
        assert row.template and editor.draft.template.name == row.template  # what follows stays
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        kept = outbox_store.get(app.service.reader.conn, row.id)
        assert kept is not None and kept.status == "draft"

        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen)
        area = editor.query_one("#reply-body", TextArea)
        area.load_text("On the phone too: please update the app to 4.2.\n\n" + area.text)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, UndoModal))
        await pilot.press("enter")  # send now, skipping the undo countdown
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)
        await settle(pilot)
        (sent,) = smtp_server.received
        assert sent.message["In-Reply-To"] == later
        body = sent.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert body.startswith("On the phone too: please update the app to 4.2.")
        dropped = outbox_store.get(app.service.reader.conn, row.id)
        assert dropped is not None and dropped.status == "cancelled"
        assert app.service.outbox_rows() == []
