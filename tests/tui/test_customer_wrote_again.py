"""The customer writes again while their conversation is open (real Dovecot, push): the
thread says so, since the new message may be out of sight; a reply being written says so at
once, with what they wrote, and the text typed so far stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from supportinbox.config import load_config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.editor import ReplyEditorScreen
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.replies import setup_account
from tests.tui.support import SIZE, pilot_test, wait_until

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

FIRST = "<limits-1@customer.test>"


@pytest.fixture
def app(supportinbox_home: Path, dovecot: Dovecot) -> SupportInboxApp:
    """The app, as the CLI builds it, of an account holding Nora's first mail on ``dovecot``."""
    first = make_message(
        sender="Nora Field <nora@field.test>",
        subject="API limits",
        body="How many requests per minute may we send?",
        message_id=FIRST,
        date=datetime.now(UTC) - timedelta(minutes=10),
    )
    setup_account(supportinbox_home, dovecot, None, [first]).db.close()
    return build_app(load_config())


async def _synced_and_pushed(pilot: Pilot[None], app: SupportInboxApp) -> None:
    """Wait for the first sync, and for the IDLE connection that brings the next mail at once."""
    await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
    await wait_until(pilot, app.service.push_connected)


def _follow_up(date: datetime | None = None) -> bytes:
    """Nora's answer to her first mail."""
    return make_message(
        sender="Nora Field <nora@field.test>",
        subject="Re: API limits",
        body="Now every call answers HTTP 429!",
        in_reply_to=FIRST,
        references=FIRST,
        date=date,
    )


@pilot_test
async def test_a_follow_up_while_writing_is_said_in_the_editor(
    app: SupportInboxApp, dovecot: Dovecot
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await _synced_and_pushed(pilot, app)
        await pilot.press("r")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TemplatePickerScreen")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplyEditorScreen))
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen)
        await pilot.press(*"We allow 600")
        head = editor.query_one("#editor-head", Static)
        assert "wrote again" not in str(head.render())

        append(dovecot, [_follow_up()])

        def warned() -> list[str]:
            return [str(n.message) for n in app._notifications if "wrote again" in str(n.message)]

        await wait_until(pilot, lambda: bool(warned()))
        assert app.screen is editor
        (toast,) = warned()
        assert toast.startswith("Nora Field wrote again ")
        assert "Now every call answers HTTP 429!" in toast
        assert "wrote again" in str(head.render())
        assert editor.body.startswith("We allow 600")


@pilot_test
async def test_a_follow_up_to_the_open_thread_is_said(app: SupportInboxApp, dovecot: Dovecot) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await _synced_and_pushed(pilot, app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        thread = app.screen

        def said() -> list[str]:
            return [str(n.message) for n in app._notifications if n.title == "New in this conversation"]

        # Another conversation's mail is no news here.
        append(dovecot, [make_message(sender="Tom <tom@becker.test>", subject="Two-factor code refused")])
        await wait_until(pilot, lambda: app.service.queue_count("open") == 2)
        append(dovecot, [_follow_up(date=datetime.now(UTC) - timedelta(minutes=1))])
        await wait_until(pilot, lambda: bool(said()))
        assert app.screen is thread
        (toast,) = said()
        assert toast.startswith("Nora Field wrote again ")
        assert "“Now every call answers HTTP 429!”" in toast and toast.endswith("(End shows it).")
