"""Opening the terminal UI: ``supportinbox`` (the configured account) and ``supportinbox demo``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from supportinbox.cli.app import CliContext, cli, pass_ctx
from supportinbox.config import Config
from supportinbox.errors import ConfigError

if TYPE_CHECKING:
    from supportinbox.tui.app import SupportInboxApp


def run_tui(obj: CliContext) -> None:
    """Open the inbox of the configured account (``supportinbox`` without a command)."""
    from supportinbox.tui.factory import build_app

    _run(build_app(obj.config, obj.account_option))


def _run(app: SupportInboxApp) -> None:
    app.run()
    if app.return_code:
        # The app ended on an internal error (it said so in one line, the log has the rest).
        raise SystemExit(70)


@cli.command()
@pass_ctx
def demo(obj: CliContext) -> None:
    """Open the app on a bundled demo mailbox: no account, no network, nothing is sent.

    The demo cache is rebuilt on every start, dated relative to now. Replies written in
    the demo are saved as .eml files in the data folder (the banner says where).
    """
    try:
        config = obj.config
    except ConfigError:
        # A broken config must not stop the demo: it only lends theme, keys and reply settings.
        config = Config()
    _run(build_demo_app(config))


def build_demo_app(
    config: Config | None = None, *, now: Callable[[], datetime] | None = None
) -> SupportInboxApp:
    """The app on a fresh demo mailbox (the demo's own ports stand in for the servers)."""
    from supportinbox.demo.app import prepare_demo
    from supportinbox.tui.factory import build_app_on

    demo = prepare_demo(config, now=now)
    return build_app_on(demo.home, sender=demo.sender, mailbox=demo.mailbox, templates=demo.templates)
