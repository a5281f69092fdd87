"""The conversation screen re-read twice in one turn (a sync ending as mail is marked read)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.widgets.thread_view import MessageBlock
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.tui.support import SIZE, pilot_test, settle, wait_until


@pytest.mark.server
@pilot_test
async def test_two_refreshes_in_one_turn_show_the_thread_once(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    earlier = datetime.now(UTC) - timedelta(hours=2)
    mail = [
        make_message(subject="Cannot log in", message_id="<one@customer.test>", date=earlier),
        make_message(subject="Invoice address", message_id="<two@customer.test>"),
    ]
    setup = setup_account(supportinbox_home, dovecot, None, mail, extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: not app.sync_status.syncing)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        assert len(screen.query(MessageBlock)) == 1 and len(screen.query(".others")) == 1

        # What a sync ending and a read-state change do in the same turn: the second thread
        # is mounted while the first one is still being removed.
        app.refresh_views()
        app.refresh_views()
        await settle(pilot)

        assert app.return_code is None
        assert len(screen.query(MessageBlock)) == 1
        assert len(screen.query(".others")) == 1
