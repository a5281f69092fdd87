"""A message from our own address that is not ours is marked in the conversation (real
Dovecot, the app from the CLI's factory)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Static

from supportinbox.config import load_config
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.tui.support import SIZE, pilot_test, settle, wait_until

pytestmark = pytest.mark.server


@pilot_test
async def test_a_forged_reply_from_us_is_marked_in_the_thread(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    question = make_message(
        sender="Ann <ann@customer.test>",
        subject="Invoice wrong",
        message_id="<q@customer.test>",
        date=datetime.now(UTC) - timedelta(hours=1),
    )
    forged = make_message(
        sender="Acme Support <support@acme.test>",
        subject="Re: Invoice wrong",
        body="We have answered this already.",
        message_id="<forged@evil.test>",
        in_reply_to="<q@customer.test>",
    )
    setup = setup_account(
        supportinbox_home, dovecot, None, [question, forged], extra="\n[ui]\nidle = false\n"
    )
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        heads = [str(w.render()) for w in app.screen.query(".message-head").results(Static)]
        assert len(heads) == 2
        assert "Ann" in heads[0] and "⚠" not in heads[0]
        assert "support@acme.test" in heads[1] and "⚠ our own address, but not in Sent" in heads[1]
