"""The app on the bundled demo mailbox, wired by the entry point (``supportinbox demo``) and the tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from supportinbox.config import Config
from supportinbox.demo.loader import DEMO_ACCOUNT, demo_config, open_demo_database
from supportinbox.demo.service import DemoService
from supportinbox.tui.app import SupportInboxApp

Clock = Callable[[], datetime]


def build_demo_app(config: Config | None = None, *, now: Clock | None = None) -> SupportInboxApp:
    """The app on a fresh demo mailbox: no account, no network, replies saved as files."""
    demo = demo_config(config)
    db = open_demo_database(demo, now() if now else None)
    path = Path(db.path)
    db.close()
    return SupportInboxApp(DemoService(demo, DEMO_ACCOUNT, demo.accounts[DEMO_ACCOUNT], path, now=now))
