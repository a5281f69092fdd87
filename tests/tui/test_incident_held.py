"""Answering an incident one member of which a teammate holds: said before, and after."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Static

from supportinbox.app import team_actions
from supportinbox.config import load_config
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.screens.modals import ConfirmModal, ErrorModal
from supportinbox.tui.screens.reply import TemplatePickerScreen
from tests.harness.dovecot import Dovecot
from tests.harness.mail import sso_outage
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer
from tests.harness.team import make_team
from tests.tui.support import SIZE, pilot_test, queue, settle, wait_until

pytestmark = pytest.mark.server


@pilot_test
async def test_an_incident_reply_says_which_one_a_teammate_holds_before_and_after(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    now = datetime.now(UTC)
    mails = sso_outage(now)
    extra = "\n[ui]\nidle = false\n[replies]\nundo_seconds_tui = 0\n"
    setup = setup_account(supportinbox_home, dovecot, smtp_server, mails, extra=extra)
    jonas = setup.conversation_of("<inc1@c.test>")
    setup.db.close()
    (bob,) = make_team(tmp_path, dovecot, smtp_server, ("bob",))
    team_actions.claim(bob.ctx(), jonas)
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: app.service.conversation(jonas).summary.assigned_to == "bob")
        await settle(pilot)
        assert (queue(app).current.subject or "").startswith("▸ incident:")  # type: ignore[union-attr]
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplatePickerScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        asked = str(app.screen.query_one(".dialog-body", Static).render())
        assert "bob holds Jonas Weber's: that reply waits in the outbox." in asked, asked
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        said = " ".join(str(w.render()) for w in app.screen.query("Static, Label"))
        assert f"2 sent; kept in the outbox (O): {jonas}: " in said and "bob" in said, said
        assert not any("Sent to 3" in str(n.message) for n in app._notifications)
        assert len(smtp_server.received) == 2
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
