"""Opening the terminal UI: ``supportinbox`` (the configured account) and ``supportinbox demo``."""

from __future__ import annotations

from supportinbox.cli.app import CliContext, cli, pass_ctx
from supportinbox.config import Config
from supportinbox.errors import ConfigError


def run_tui(obj: CliContext) -> None:
    """Open the inbox of the configured account (``supportinbox`` without a command)."""
    from supportinbox.tui.factory import build_app

    build_app(obj.config, obj.account_option).run()


@cli.command()
@pass_ctx
def demo(obj: CliContext) -> None:
    """Open the app on a bundled demo mailbox: no account, no network, nothing is sent.

    The demo cache is rebuilt on every start, dated relative to now. Replies written in
    the demo are saved as .eml files in the data folder (the banner says where).
    """
    from supportinbox.demo.app import build_demo_app

    try:
        config = obj.config
    except ConfigError:
        # A broken config must not stop the demo: it only lends theme, keys and reply settings.
        config = Config()
    build_demo_app(config).run()
