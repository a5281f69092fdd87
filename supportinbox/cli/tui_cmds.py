"""Opening the terminal UI: ``supportinbox`` (the configured account) and ``supportinbox demo``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from supportinbox.cli.app import CliContext, cli, pass_ctx
from supportinbox.config import Config
from supportinbox.errors import ConfigError, NoTerminal

if TYPE_CHECKING:
    from supportinbox.tui.app import SupportInboxApp


def run_tui(obj: CliContext) -> None:
    """Open the inbox of the configured account (``supportinbox`` without a command)."""
    require_terminal("supportinbox")
    from supportinbox.tui.factory import build_app

    _run(build_app(obj.config, obj.account_option))


def require_terminal(command: str) -> None:
    """Refuse, in one line, to open the app where there is no terminal to draw on and read
    keys from (cron, a pipe, a service, ``< /dev/null``): it would write its screen into a
    file and wait for keys that never come, forever, its input thread spinning on the closed
    stdin. Scripts have the commands."""
    if not (sys.stdin is not None and sys.stdin.isatty() and sys.stdout is not None and sys.stdout.isatty()):
        raise NoTerminal(
            f"'{command}' opens the app, which needs a terminal, and there is none here (cron, "
            "a pipe or a service); scripts use the commands: 'supportinbox sync', "
            "'supportinbox list --json', ... (see 'supportinbox --help')"
        )


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
    require_terminal("supportinbox demo")
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
