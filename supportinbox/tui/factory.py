"""Building the app: the one factory the CLI, the demo, the tests and the benchmark share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

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


def build_demo_app(config: Config | None = None, *, now: Clock | None = None) -> SupportInboxApp:
    """The app on a fresh demo mailbox: no account, no network, replies saved as files."""
    from supportinbox.demo.loader import DEMO_ACCOUNT, demo_config, open_demo_database
    from supportinbox.demo.service import DemoService

    demo = demo_config(config)
    db = open_demo_database(demo, now() if now else None)
    path = Path(db.path)
    db.close()
    return SupportInboxApp(DemoService(demo, DEMO_ACCOUNT, demo.accounts[DEMO_ACCOUNT], path, now=now))
