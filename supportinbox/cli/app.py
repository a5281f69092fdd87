"""The root command group and the context every command shares."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from supportinbox import paths
from supportinbox.config import AccountConfig, Config, load_config

if TYPE_CHECKING:
    from supportinbox.store.db import Database


@dataclass
class CliContext:
    """Lazily loaded config, account and cache, shared by every command."""

    config_path: Path | None
    account_option: str | None
    debug: bool
    _config: Config | None = None
    _db: Database | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def account(self) -> tuple[str, AccountConfig]:
        return self.config.account(self.account_option)

    def db(self) -> Database:
        if self._db is None:
            from supportinbox.store.db import open_database

            name, _ = self.account()
            self._db = open_database(account=name)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


pass_ctx = click.make_pass_decorator(CliContext)


def setup_logging(debug: bool) -> None:
    """Log to the state folder (0600); with --debug also to stderr."""
    handlers: list[logging.Handler] = []
    try:
        log_path = paths.log_file()
        paths.ensure_private_dir(log_path.parent)
        if not log_path.exists():
            log_path.touch(mode=0o600)
        handlers.append(logging.FileHandler(log_path, encoding="utf-8"))
    except OSError:
        pass
    if debug:
        handlers.append(logging.StreamHandler())
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    # imaplib's own debug output would include the LOGIN line: keep it quiet.
    logging.getLogger("imapclient").setLevel(logging.WARNING)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="SUPPORTINBOX_CONFIG",
    help="Config file to use instead of the default one.",
)
@click.option("--account", "-a", "account", help="Account to use (see [accounts.NAME] in the config).")
@click.option("--debug", is_flag=True, help="Log details to stderr and show tracebacks.")
@click.version_option(package_name="supportinbox")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, account: str | None, debug: bool) -> None:
    """A keyboard-driven terminal support inbox.

    Without a command, opens the inbox of the configured account.
    """
    setup_logging(debug)
    obj = CliContext(config_path=config_path, account_option=account, debug=debug)
    ctx.obj = obj
    ctx.call_on_close(obj.close)
    if ctx.invoked_subcommand is None:
        from supportinbox.cli.tui_cmds import run_tui

        run_tui(obj)
