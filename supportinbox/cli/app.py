"""The root command group and the context every command shares.

A command's module is imported only when that command runs (or when ``--help`` lists
them all): ``supportinbox list`` does not pay for the sync engine, the reply templates or
the keyring. :data:`COMMAND_MODULES` says where each top-level command lives;
``tests/unit/test_cli_commands.py`` checks it against the commands the modules define.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from supportinbox import __version__, paths

if TYPE_CHECKING:
    import logging

    from supportinbox.app.context import AccountContext
    from supportinbox.config import AccountConfig, Config
    from supportinbox.store.db import Database

#: Top-level command -> the module in ``supportinbox.cli`` that defines it.
COMMAND_MODULES: dict[str, str] = {
    "locate": "setup_cmds",
    "init": "setup_cmds",
    "login": "setup_cmds",
    "logout": "setup_cmds",
    "sync": "sync_cmds",
    "cache": "sync_cmds",
    "list": "triage_cmds",
    "show": "triage_cmds",
    "mark": "triage_cmds",
    "search": "triage_cmds",
    "status": "triage_cmds",
    "snooze": "triage_cmds",
    "junk": "triage_cmds",
    "spam-check": "triage_cmds",  # 'junk list' / 'junk rescue' under the check's name
    "spam": "triage_cmds",  # the earlier name of 'junk move'
    "reply": "reply_cmds",
    "forward": "reply_cmds",
    "templates": "reply_cmds",
    "outbox": "reply_cmds",
    "incident": "incident_cmds",
    "claim": "team_cmds",
    "release": "team_cmds",
    "assign": "team_cmds",
    "note": "team_cmds",
    "agents": "team_cmds",
    "team": "team_cmds",
    "demo": "tui_cmds",
    "report": "report_cmds",
    "sla": "report_cmds",
    "followup": "followup_cmds",
    "followups": "followup_cmds",
    "customer": "customer_cmds",
    "tag": "tag_cmds",
    "tags": "tag_cmds",
    "merge": "merge_cmds",
    "split": "merge_cmds",
}


class _NamesItself(click.Command):
    """A command whose usage errors always know it, so the error can say where its help is.

    click's parser raises some of them (an option without its value) with no context.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            if exc.ctx is None:
                exc.ctx = ctx
            raise


class Command(_NamesItself):
    """Every command of the command line."""


class Group(_NamesItself, click.Group):
    """Every group of the command line: its commands and groups are these classes too."""

    command_class = Command
    group_class: type[click.Group] | type[type] | None = type


class ListGroup(Group):
    """A group that is its ``list`` command when no command is named, options included:
    ``junk --json`` is ``junk list --json``, as ``junk`` alone is ``junk list``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0].startswith("-") and args[0] not in ctx.help_option_names:
            args = ["list", *args]
        return super().parse_args(ctx, args)


class LazyGroup(Group):
    """A group whose subcommands are registered by importing their module on first use."""

    group_class = Group

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"{__package__}.{COMMAND_MODULES[cmd_name]}")
        return self.commands.get(cmd_name)


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
            from supportinbox.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    def account(self) -> tuple[str, AccountConfig]:
        return self.config.account(self.account_option)

    def context(self) -> AccountContext:
        """The account for a use case: config, account and its open cache."""
        from supportinbox.app.context import AccountContext

        name, account = self.account()
        return AccountContext(self.db(), self.config, name, account)

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


# Anything shaped like an address (a customer's, a Message-ID's): the log names
# conversations and outbox rows by id instead.
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def private_log_line(line: str) -> str:
    """A formatted log line without addresses, and without anything a terminal would act on.

    The log outlives the session and is read with ``cat`` and ``less``: it says what failed
    and where (conversation ids, outbox numbers, folders), and ``--debug`` has the details.
    """
    from supportinbox.domain.safetext import terminal_text

    return terminal_text(_ADDRESS.sub("<address>", line))


def can_ask() -> bool:
    """Whether a question can be answered: stdin is a terminal (not a pipe, cron, a script)."""
    return sys.stdin is not None and sys.stdin.isatty()


def require_editor(instead: str) -> None:
    """Refuse, in one line, to open $EDITOR without a terminal: it would draw its screen into
    a pipe and fail ("sensible-editor: Editing failed"). ``instead`` says what works there."""
    if not can_ask():
        from supportinbox.errors import NoTerminal

        raise NoTerminal(f"no terminal for $EDITOR; {instead}")


def edit_text(
    text: str, nothing_done: str, *, extension: str = ".txt", require_save: bool = True
) -> str | None:
    """``click.edit`` (None: closed without saving), its failures said in one line that ends
    in ``nothing_done`` ("nothing was queued or sent"): an editor that cannot be run, or one
    that exits with an error (vim's ``:cq``, which asks to throw the edit away)."""
    from supportinbox.errors import UserError

    try:
        return click.edit(text, extension=extension, require_save=require_save)
    except click.ClickException as exc:
        # click says "EDITOR: Editing failed" (the exit status) or "...: Editing failed: OSError".
        editor = exc.message.partition(": Editing failed")[0] or "the editor"
        cause = exc.__context__
        if isinstance(cause, OSError):
            why = cause.strerror or str(cause)
            raise UserError(
                f"could not run the editor {editor!r} ({why}): set VISUAL or EDITOR to one installed "
                f"here; {nothing_done}"
            ) from None
        raise UserError(f"the editor {editor!r} exited with an error: {nothing_done}") from None


def setup_logging(debug: bool) -> None:
    """Log to the state folder (0600, addresses left out, rotated: see cli/logfile.py); with
    --debug also to stderr, in full."""
    import logging

    class PrivateFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return private_log_line(super().format(record))

    class LogFile(logging.Handler):
        """The log file, opened when the first line comes: a command that logs nothing (most
        reads) does not load logging.handlers (socket, pickle, queue: some milliseconds)."""

        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path
            self.file: logging.Handler | None = None
            self.unusable = False

        def emit(self, record: logging.LogRecord) -> None:
            if self.file is None and not self.unusable:
                from supportinbox.cli.logfile import SharedRotatingLog
                from supportinbox.errors import StorageError

                try:
                    self.file = SharedRotatingLog(self.path)
                except (OSError, StorageError):
                    self.unusable = True  # no log, as when the folder cannot be made
                    return
                self.file.setFormatter(self.formatter)
            if self.file is not None:
                self.file.emit(record)

        def close(self) -> None:
            try:
                if self.file is not None:
                    self.file.close()
            finally:
                super().close()

    handlers: list[logging.Handler] = []
    try:
        log_path = paths.log_file()
        paths.ensure_private_dir(log_path.parent)
        handlers.append(LogFile(log_path))
    except OSError:
        pass
    if debug:
        handlers.append(logging.StreamHandler())
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format=_LOG_FORMAT,
        handlers=handlers,
        force=True,
    )
    if not debug:
        for handler in handlers:
            handler.setFormatter(PrivateFormatter(_LOG_FORMAT))
    # imaplib's own debug output would include the LOGIN line: keep it quiet.
    logging.getLogger("imapclient").setLevel(logging.WARNING)


def exit_codes_epilog(
    codes: Iterable[int] | None = None, said: Mapping[int, str] | None = None, *, asks: str = ""
) -> str:
    """The "Exit codes:" section of a --help, from the one table (errors.EXIT_CODES).

    ``codes``: those a command can exit with (every one by default); ``said``: the
    command's own words for some of them (``sla --check``'s verdicts); ``asks``: the
    question the command asks, whose 'no' cancels it as Ctrl-C does (130). A command
    given the codes it exits with and no question is cancelled by Ctrl-C alone.
    """
    from supportinbox.errors import EXIT_CODES

    wanted = sorted(EXIT_CODES if codes is None else set(codes))
    # The whole table (the group's --help) keeps the general words.
    cancelled = {} if codes is None else {130: "cancelled: Ctrl-C" + (f", or 'no' to {asks}" if asks else "")}
    meanings = {**EXIT_CODES, **cancelled, **(said or {})}
    # \b keeps click from rewrapping the lines into one paragraph.
    return "\b\nExit codes:\n" + "\n".join(f"  {code:>3}  {meanings[code]}" for code in wanted)


#: The exit codes of ``outbox send-anyway`` and ``team send-anyway``, one command under two
#: names in two modules: no teammate check, so never held (no 10); a send that fails keeps the
#: reply in the outbox (9, as ``outbox retry``).
SEND_ANYWAY_CODES = (0, 2, 6, 8, 9, 70, 130)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=exit_codes_epilog(),
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="SUPPORTINBOX_CONFIG",
    help="Config file to use instead of the default one.",
)
@click.option("--account", "-a", "account", help="Account to use (see [accounts.NAME] in the config).")
@click.option("--debug", is_flag=True, help="Log details to stderr and show tracebacks.")
@click.version_option(__version__, prog_name="supportinbox")
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
