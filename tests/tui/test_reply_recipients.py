"""The app shows where a reply goes: the header view, the picker, the editor, the undo
countdown (real Dovecot, the app from the CLI's factory)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from supportinbox.config import load_config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.editor import ReplyEditorScreen, UndoModal
from supportinbox.tui.screens.reply import TemplatePickerScreen
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.tui.support import SIZE, pilot_test, queue, wait_until

pytestmark = pytest.mark.server

NOTE = "Reply-To differs from sender: attacker@evil.test"


def _text(app: SupportInboxApp, selector: str = "Static") -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(selector).results(Static))


@pilot_test
async def test_a_foreign_reply_to_is_shown_wherever_the_reply_is(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    spoofed = make_message(
        sender="Big Boss <ceo@customer.test>",
        subject="Refund to my new account",
        message_id="<spoof@customer.test>",
        headers={"Reply-To": "attacker@evil.test"},
    )
    setup = setup_account(
        supportinbox_home,
        dovecot,
        None,
        [spoofed],
        extra="\n[ui]\nidle = false\n[replies]\nundo_seconds_tui = 30\n",
    )
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        assert queue(app).total == 1
        await pilot.press("enter", "H")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
        assert "Reply-To: attacker@evil.test (differs from sender)" in _text(app, ".message-headers")

        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplatePickerScreen) and "To:" in _text(app))
        head = str(app.screen.query_one("#preview-head", Static).render())
        assert "To: attacker@evil.test" in head and NOTE in head
        assert "ceo@customer.test" not in head

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplyEditorScreen))
        head = str(app.screen.query_one("#editor-head", Static).render())
        assert "To: attacker@evil.test" in head and NOTE in head

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, UndoModal))
        assert "Sending the reply to attacker@evil.test" in _text(app)
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplyEditorScreen))
        await app.workers.wait_for_complete()
