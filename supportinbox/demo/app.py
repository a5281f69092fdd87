"""The app on the bundled demo mailbox, wired by the entry point (``supportinbox demo``) and the tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from supportinbox import paths
from supportinbox.config import Config
from supportinbox.demo.loader import DEMO_ACCOUNT, demo_config, open_demo_database
from supportinbox.demo.offline import DemoMailbox
from supportinbox.demo.sending import DemoSender
from supportinbox.domain.templates import install_default_templates
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.service import InboxService

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
    service = InboxService(
        demo, DEMO_ACCOUNT, account, path, now=clock, sender=sender, mailbox=mailbox, templates=_templates()
    )
    return SupportInboxApp(service)


def _templates() -> Path:
    """The user's templates if there are any, else the shipped ones (copied for the demo)."""
    mine = paths.templates_dir()
    if mine.is_dir() and any(mine.iterdir()):
        return mine
    directory = paths.data_dir() / "demo-templates"
    install_default_templates(directory)
    return directory
