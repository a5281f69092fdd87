"""Building the app on a configured account: the one factory the CLI, the tests and the benchmark share.

The demo builds its app in :mod:`supportinbox.demo.app`: the TUI never imports the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from supportinbox import paths
from supportinbox.config import Config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.service import InboxService

Clock = Callable[[], datetime]


def build_app(
    config: Config, account_name: str | None = None, *, now: Clock | None = None
) -> SupportInboxApp:
    """The app on a configured account's cache (``None``: the default account)."""
    name, account = config.account(account_name)

    def service_for(other: str) -> InboxService:
        other_name, other_account = config.account(other)
        return InboxService(config, other_name, other_account, paths.database_file(other_name), now=now)

    return SupportInboxApp(
        InboxService(config, name, account, paths.database_file(name), now=now), service_factory=service_for
    )
