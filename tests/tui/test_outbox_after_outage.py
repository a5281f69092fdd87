"""A reply sent while the IMAP server is away waits in the outbox, and goes out as soon as the
server is back, not at its retry time (real Dovecot and SMTP; the app watching by push)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.mail import outbox as sender
from supportinbox.store import outbox as outbox_store
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.editor import ReplyEditorScreen
from supportinbox.tui.screens.modals import ErrorModal
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer
from tests.tui.support import SIZE, pilot_test, wait_until

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]


@pilot_test
async def test_a_reply_that_failed_offline_goes_when_the_server_is_back(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After a few failures the wait is long: here at once.
    monkeypatch.setattr(sender, "RETRY_DELAYS", (timedelta(hours=1),))
    message = make_message(sender="Lina Haddad <lina@customer.test>", subject="Cannot log in", body="Help!")
    setup_account(supportinbox_home, dovecot, smtp_server, [message]).db.close()
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await wait_until(pilot, app.service.push_connected)

        dovecot.stop()
        await wait_until(pilot, lambda: bool(app.sync_status.offline))
        await pilot.press("r")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TemplatePickerScreen")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplyEditorScreen))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "UndoModal")
        await pilot.press("enter")  # no undo window
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        said = " ".join(str(w.render()) for w in app.screen.query("Static, Label"))
        assert "It stays in the outbox (O) and goes as soon as the server is back" in said, said
        await pilot.press("enter")
        (row,) = outbox_store.list_rows(app.service.reader.conn)
        assert row.status == "failed" and row.next_attempt_at is not None
        assert not smtp_server.received

        dovecot.start()
        await wait_until(pilot, lambda: not app.sync_status.offline)
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)
        await wait_until(pilot, lambda: app.sync_status.outbox == 0)
        (row,) = outbox_store.list_rows(app.service.reader.conn)
        assert row.status == "sent"
