"""The ``supportinbox`` command line: every TUI action is also a headless command."""

from __future__ import annotations

import logging
import sys

import click

from supportinbox.cli import setup_cmds  # noqa: F401  (registers commands)
from supportinbox.cli.app import cli
from supportinbox.errors import UserError

log = logging.getLogger("supportinbox")

_COMMAND_MODULES = (
    "supportinbox.cli.sync_cmds",
    "supportinbox.cli.triage_cmds",
    "supportinbox.cli.reply_cmds",
    "supportinbox.cli.incident_cmds",
    "supportinbox.cli.team_cmds",
    "supportinbox.cli.tui_cmds",
)


def _register_commands() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="supportinbox", standalone_mode=False)
    except UserError as exc:
        log.error("%s", exc.message)
        click.echo(f"supportinbox: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("supportinbox: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("supportinbox: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        log.exception("internal error")
        if debug:
            raise
        click.echo(
            f"supportinbox: internal error ({type(exc).__name__}); "
            "run again with --debug for details, or see 'supportinbox locate log'",
            err=True,
        )
        sys.exit(70)
    sys.exit(0)


__all__ = ["cli", "main"]
