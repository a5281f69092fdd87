"""Opening the configured account offline, and switching accounts."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList, Static

from supportinbox.config import load_config
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.screens.modals import ChooseModal, ErrorModal
from supportinbox.tui.widgets.status_bar import StatusBar
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.tui.support import SIZE, pilot_test, settle, wait_until


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
        # The open account is marked, and the cursor starts on the other one.
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels == ["first — one@acme.test (open now)", "second — two@acme.test"], labels
        assert options.highlighted == 1
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: isinstance(app.screen, InboxScreen) and app.service.account_name == "second"
        )
        assert app.sync_status.account == "second"
        assert "second" in str(app.screen.query_one(StatusBar).render())
        await wait_until(pilot, lambda: not app.sync_status.syncing)
        # And back: A, Enter.
        await pilot.press("A")
        assert isinstance(app.screen, ChooseModal)
        assert app.screen.query_one(OptionList).highlighted == 0
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: isinstance(app.screen, InboxScreen) and app.service.account_name == "first"
        )


@pilot_test
async def test_a_refused_login_is_said_once_then_kept_in_the_status_bar(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    """Every background sync meets the wrong password again: no modal each time (it would take
    the keys of a reply being typed), the status bar says it; a sync asked for says it again."""
    text = account_toml(dovecot, extra="\n[ui]\nidle = false\n")
    write_config(supportinbox_home, text.replace(dovecot.users["support"], "wrong-password"))
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            pilot, lambda: isinstance(app.screen, ErrorModal) and bool(app.screen.query(".dialog-body"))
        )
        assert "was refused" in str(app.screen.query_one(".dialog-body", Static).render())
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, InboxScreen))
        bar = str(app.screen.query_one(StatusBar).render())
        assert "login as 'support'" in bar and "was refused" in bar

        app._background_sync()  # what the sync timer does
        await wait_until(pilot, lambda: app.sync_status.syncing)
        await wait_until(pilot, lambda: not app.sync_status.syncing)
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert "was refused" in str(app.screen.query_one(StatusBar).render())

        await pilot.press("s")  # asked for: said again in full
        await wait_until(
            pilot, lambda: isinstance(app.screen, ErrorModal) and bool(app.screen.query(".dialog-body"))
        )
