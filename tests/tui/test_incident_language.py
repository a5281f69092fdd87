"""Answering an incident from the app: each customer in their own language."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Static

from supportinbox.config import load_config
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.modals import ConfirmModal
from supportinbox.tui.screens.reply import TemplatePickerScreen
from tests.harness.dovecot import Dovecot
from tests.harness.mail import SSO_REPORTS, sso_outage, sso_report_in_german
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer
from tests.tui.support import SIZE, pilot_test, queue, settle, wait_until

pytestmark = pytest.mark.server


@pilot_test
async def test_an_incident_reply_answers_each_customer_in_their_language(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    now = datetime.now(UTC)
    mails = [*sso_outage(now), sso_report_in_german(now)]
    extra = "\n[ui]\nidle = false\n[replies]\nundo_seconds_tui = 0\n"
    setup_account(supportinbox_home, dovecot, smtp_server, mails, extra=extra).db.close()
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert (queue(app).current.subject or "").startswith("▸ incident:")  # type: ignore[union-attr]
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplatePickerScreen))
        await settle(pilot)
        head = str(app.screen.query_one("#preview-head", Static).render())
        assert "Each customer gets the variant in their language" in head, head
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_until(pilot, lambda: len(smtp_server.received) == 4)
    bodies = {
        r.rcpt_tos[0]: r.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for r in smtp_server.received
    }
    assert bodies["greta@vogel-werk.test"].startswith("Hallo Greta,"), bodies
    for name, address, _, _ in SSO_REPORTS:
        assert bodies[address].startswith(f"Hi {name.split()[0]},"), bodies
