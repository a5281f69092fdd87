"""Read state in the TUI on a real server: opening marks read there too, m toggles it."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from tests.harness.dovecot import Dovecot
from tests.harness.mail import client, make_message
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer
from tests.tui.support import SIZE, pilot_test, queue, settle, wait_until


def _seen(dovecot: Dovecot) -> bool:
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        flags = imap.get_flags(imap.search(["ALL"]))
    return all(b"\\Seen" in f for f in flags.values())


@pytest.mark.server
@pilot_test
async def test_opening_marks_read_on_the_server_and_m_marks_unread_again(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    message = make_message(subject="Cannot log in", message_id="<tui-read@customer.test>")
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [message], extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: not app.sync_status.syncing)
        await settle(pilot)
        row = queue(app).current
        assert row is not None and row.unread_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        await wait_until(pilot, lambda: _seen(dovecot))
        await pilot.press("escape")
        await settle(pilot)
        row = queue(app).current
        assert row is not None and row.unread_count == 0
        await pilot.press("m")
        await wait_until(pilot, lambda: not _seen(dovecot))
        row = queue(app).current
        assert row is not None and row.unread_count == 1
