"""Acknowledgement on arrival in the app (real Dovecot and SMTP): the app's sync sends it,
says so, and the conversation shows it — in the reason line and in the thread."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Static

from supportinbox.config import load_config
from supportinbox.store import outbox as outbox_store
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.widgets.thread_view import MessageBlock
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer
from tests.tui.support import SIZE, pilot_test, select_subject, settle, wait_until

MID = "<ack-tui@customer.test>"


def _said(app: SupportInboxApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def _text(app: SupportInboxApp) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("Static, Label"))


def _why(app: SupportInboxApp) -> str:
    return str(app.screen.query_one("ReasonLine").render()).strip()


def _closed_today() -> str:
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(datetime.now(UTC).weekday() + 3) % 7]
    return f'\n[accounts.support.hours]\ndays = ["{day}"]\nstart = "09:00"\nend = "10:00"\n'


def _server_app(home: Path, dovecot: Dovecot, smtp: SmtpServer) -> SupportInboxApp:
    extra = (
        _closed_today()
        + '\n[accounts.support.acknowledgement]\nenabled = true\nwhen = ["outside-hours"]\n'
        + "\n[ui]\nidle = false\n"
    )
    setup_account(home, dovecot, smtp, [], extra=extra).db.close()
    return build_app(load_config())


@pytest.mark.server
@pilot_test
async def test_the_apps_sync_acknowledges_and_the_conversation_shows_it(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    app = _server_app(supportinbox_home, dovecot, smtp_server)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        append(
            dovecot,
            [
                make_message(
                    sender="Lina Haddad <lina@customer.test>",
                    subject="Cannot log in",
                    message_id=MID,
                    body="Hello, I cannot log in since this morning.",
                )
            ],
        )
        await pilot.press("s")
        await wait_until(pilot, lambda: any("Acknowledged automatically" in s for s in _said(app)))
        (told,) = [s for s in _said(app) if "Acknowledged automatically" in s]
        assert told == "Acknowledged automatically: lina@customer.test.", told
        assert not any("queued repl" in s for s in _said(app)), _said(app)  # said once, as itself
        (received,) = smtp_server.received
        assert received.message["Auto-Submitted"] == "auto-replied"
        (row,) = outbox_store.list_rows(app.service.reader.conn)
        assert row.status == "sent" and row.filed_in_sent
        # The reason line says it at once, before the copy in Sent is synced.
        await select_subject(pilot, "Cannot log in")
        await settle(pilot)
        assert _why(app).endswith(" · acknowledged automatically"), _why(app)

        # The next sync brings the copy from Sent into the conversation.
        await pilot.press("s")
        await wait_until(pilot, lambda: "acknowledged automatically" in _why(app))
        await select_subject(pilot, "Cannot log in")
        await settle(pilot)
        why = _why(app)
        assert why.startswith("Why: ") and why.endswith(" · acknowledged automatically"), why
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        blocks = list(app.screen.query(MessageBlock))
        assert [b.message.from_us for b in blocks] == [False, True]
        head = str(blocks[1].query(Static).first().render())
        assert "acknowledgement, sent automatically" in head, head
        assert len(smtp_server.received) == 1  # never a second one
