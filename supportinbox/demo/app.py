"""The app on the bundled demo mailbox, wired by the entry point (``supportinbox demo``) and the tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from supportinbox.config import Config
from supportinbox.demo.loader import DEMO_ACCOUNT, demo_config, open_demo_database
from supportinbox.demo.offline import DemoMailbox
from supportinbox.demo.sending import DemoSender
from supportinbox.demo.service import DemoService
from supportinbox.tui.app import SupportInboxApp

Clock = Callable[[], datetime]


def build_demo_app(config: Config | None = None, *, now: Clock | None = None) -> SupportInboxApp:
    """The app on a fresh demo mailbox: no account, no network, replies saved as files."""
    demo = demo_config(config)
    db = open_demo_database(demo, now() if now else None)
    path = Path(db.path)
    db.close()
    clock = now or (lambda: datetime.now(UTC))
    account = demo.accounts[DEMO_ACCOUNT]
    sender = DemoSender(demo, account, path, clock)
    mailbox = DemoMailbox(demo, account, path, clock)
    return SupportInboxApp(
        DemoService(demo, DEMO_ACCOUNT, account, path, now=clock, sender=sender, mailbox=mailbox)
    )
