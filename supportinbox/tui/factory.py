"""Building the app on a configured account: the one factory the CLI, the tests and the benchmark share.

The entry point builds the demo's app from the demo's ports (:func:`build_app_on`): the TUI
never imports the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from supportinbox import paths
from supportinbox.app.context import AccountHome
from supportinbox.app.mailbox import Mailbox
from supportinbox.app.sending import Sender
from supportinbox.config import Config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.service import InboxService

Clock = Callable[[], datetime]


def build_app(
    config: Config, account_name: str | None = None, *, now: Clock | None = None
) -> SupportInboxApp:
    """The app on a configured account's cache (``None``: the default account)."""

    def home(name: str | None) -> AccountHome:
        found, account = config.account(name)
        if now is None:
            return AccountHome(config, found, account, paths.database_file(found))
        return AccountHome(config, found, account, paths.database_file(found), now)

    return SupportInboxApp(
        InboxService(home(account_name)), service_factory=lambda other: InboxService(home(other))
    )


def build_app_on(home: AccountHome, *, sender: Sender, mailbox: Mailbox, templates: Path) -> SupportInboxApp:
    """The app on an account whose servers are stood in for (the demo): one account, no switching."""
    return SupportInboxApp(InboxService(home, sender=sender, mailbox=mailbox, templates=templates))
