"""The bundled demo mailbox as an account: its cache, its clock and the ports that stand in for
the servers. The entry point (``supportinbox demo``) builds the app on it; the demo never
imports the terminal UI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from supportinbox import paths
from supportinbox.app.context import AccountHome
from supportinbox.config import Config
from supportinbox.demo.loader import DEMO_ACCOUNT, demo_config, open_demo_database
from supportinbox.demo.offline import DemoMailbox
from supportinbox.demo.sending import DemoSender
from supportinbox.domain.templates import install_default_templates

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class DemoAccount:
    """A fresh demo mailbox: no account, no network, replies saved as files."""

    home: AccountHome
    sender: DemoSender
    mailbox: DemoMailbox
    templates: Path


def prepare_demo(config: Config | None = None, *, now: Clock | None = None) -> DemoAccount:
    """Build the demo cache (dated relative to ``now``) and the ports the app runs it with."""
    demo = demo_config(config)
    db = open_demo_database(demo, now() if now else None)
    path = Path(db.path)
    db.close()
    home = AccountHome(
        demo, DEMO_ACCOUNT, demo.accounts[DEMO_ACCOUNT], path, now or (lambda: datetime.now(UTC))
    )
    return DemoAccount(home, DemoSender(home), DemoMailbox(home), _templates())


def _templates() -> Path:
    """The user's templates if there are any, else the shipped ones (copied for the demo)."""
    mine = paths.templates_dir()
    if mine.is_dir() and any(mine.iterdir()):
        return mine
    directory = paths.data_dir() / "demo-templates"
    install_default_templates(directory)
    return directory
