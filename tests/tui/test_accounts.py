"""Opening the configured account offline, and switching accounts."""

from __future__ import annotations

from pathlib import Path

from supportinbox.config import load_config
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.screens.modals import ChooseModal
from supportinbox.tui.widgets.status_bar import StatusBar
from tests.conftest import write_config
from tests.tui.support import SIZE, pilot_test, wait_until


def _account(name: str, email: str) -> str:
    # Port 1 on loopback refuses at once: both accounts are "offline".
    return f"""
[accounts.{name}]
email = "{email}"
username = "{name}"
password_command = "printf secret"
imap_host = "127.0.0.1"
imap_port = 1
imap_security = "none"
smtp_security = "none"
timeout = 5
"""


CONFIG = 'default = "first"\n' + _account("first", "one@acme.test") + _account("second", "two@acme.test")
CONFIG += "\n[ui]\nidle = false\n"


@pilot_test
async def test_unreachable_server_leaves_the_cache_usable_and_says_offline(supportinbox_home: Path) -> None:
    write_config(supportinbox_home, CONFIG)
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.sync_status.offline))
        assert isinstance(app.screen, InboxScreen)  # no error modal for a background sync
        bar = str(app.screen.query_one(StatusBar).render())
        assert "first" in bar and "offline" in bar and "127.0.0.1" in bar
        await pilot.press("j", "2", "1")
        assert isinstance(app.screen, InboxScreen)


@pilot_test
async def test_switch_account(supportinbox_home: Path) -> None:
    write_config(supportinbox_home, CONFIG)
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: not app.sync_status.syncing)
        await pilot.press("A")
        assert isinstance(app.screen, ChooseModal)
        await pilot.press("down", "enter")
        await wait_until(
            pilot, lambda: isinstance(app.screen, InboxScreen) and app.service.account_name == "second"
        )
        assert app.sync_status.account == "second"
        assert "second" in str(app.screen.query_one(StatusBar).render())
