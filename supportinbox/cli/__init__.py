"""The ``supportinbox`` command line: every TUI action is also a headless command."""

from __future__ import annotations

import sys

from supportinbox import __version__

# Not typing.TYPE_CHECKING: importing typing is a third of what `--version` costs (type
# checkers treat any name TYPE_CHECKING as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import click

    from supportinbox.cli.app import cli

#: What ``--version`` prints (the group's click option prints the same).
VERSION_LINE = f"supportinbox, version {__version__}"


def _log_error(message: str, *, traceback: bool = False, debug: bool = False) -> None:
    # logging is loaded by the group itself (setup_logging); --version never needs it.
    import logging

    if not logging.getLogger().handlers:
        # The failure came before the group configured logging (a command module that does
        # not import): configure it now, or Python's last-resort handler would print the
        # traceback on the terminal.
        import contextlib

        with contextlib.suppress(Exception):  # the error being reported matters more
            from supportinbox.cli.app import setup_logging

            setup_logging(debug)
        if not logging.getLogger().handlers:
            logging.getLogger().addHandler(logging.NullHandler())
    log = logging.getLogger("supportinbox")
    if traceback:
        log.exception(message)
    else:
        log.error("%s", message)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit code.

    Everything written meanwhile is filtered for the terminal (see ``cli/output.py``).
    """
    try:
        _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C while the program is still loading, before any command could act (or
        # while a line about an earlier one is written): no traceback, nothing was done.
        sys.stderr.write("supportinbox: interrupted\n")
        sys.exit(130)


def _main(argv: list[str] | None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    if args == ["--version"]:
        # Answered before click and the command group load: a script or a shell prompt
        # asking for the version waits for the interpreter only.
        print(VERSION_LINE)
        sys.exit(0)
    from supportinbox.cli.output import reader_gone, safe_streams

    try:
        with safe_streams():
            try:
                answered = _answer_quickly(args)
            except KeyboardInterrupt:
                sys.stderr.write("supportinbox: interrupted\n")
                sys.exit(130)
            if answered is not None:
                sys.stdout.write(answered + "\n")
                sys.stdout.flush()
                sys.exit(0)
            _run(argv)
    except BrokenPipeError:
        # The reader left while the command still wrote (`list --json | head -1`): no
        # traceback, nothing on stderr, and exit 1 as for click's own commands then.
        reader_gone(sys.stdout)
        sys.exit(1)


def _answer_quickly(args: list[str]) -> str | None:
    """What ``list --json`` or a plain ``sync`` prints when it needs none of the program, else None."""
    if args[:1] == ["list"] and "--json" in args:
        from supportinbox.cli.quick import answer

        return answer(args[1:])
    if args == ["sync"]:
        from supportinbox.cli.quick_sync import answer as quiet_sync

        say_when_terminated(SYNC_TERMINATED)
        return quiet_sync(args)
    return None


#: What a sync stopped by SIGTERM (a cron timeout, systemd, ``kill``) leaves in the log. Each
#: batch it fetched is committed whole and the next sync fetches the rest.
SYNC_KEPT = "what it fetched is kept, the next sync goes on"
SYNC_TERMINATED = f"supportinbox: sync stopped by SIGTERM; {SYNC_KEPT}"


def say_when_terminated(line: str) -> None:
    """On SIGTERM write ``line`` to stderr, then die of the signal as without a handler.

    The process still ends as SIGTERM ends it (no cleanup runs, exit status 143 in a
    shell), so what is on disk is what a plain kill leaves; only the log gains the line.
    """
    import signal

    def stop(signum: int, _frame: object) -> None:
        die_of_signal(line, signum)

    signal.signal(signal.SIGTERM, stop)


def die_of_signal(line: str, signum: int) -> None:
    """Write our fixed ``line`` to stderr, then die of ``signum`` as without a handler.

    The line goes straight to the file descriptor: the filtered stream may be in the middle
    of a write the signal interrupted.
    """
    import os
    import signal

    try:
        os.write(2, line.encode() + b"\n")
    finally:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _run(argv: list[str] | None) -> None:
    import click

    from supportinbox.domain.safetext import one_line
    from supportinbox.errors import UserError

    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        from supportinbox.cli.app import cli

        cli.main(args=argv, prog_name="supportinbox", standalone_mode=False)
    except UserError as exc:
        _log_error(exc.message)
        click.echo(f"supportinbox: {one_line(exc.message)}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("supportinbox: aborted", err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:
        # 'supportinbox team' alone asks what the group holds: its help, as gh and docker answer.
        click.echo(exc.ctx.get_help())
    except click.UsageError as exc:
        click.echo(usage_line(exc), err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("supportinbox: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        _log_error("internal error", traceback=True, debug=debug)
        if debug:
            raise
        click.echo(
            f"supportinbox: internal error ({type(exc).__name__}); "
            "run again with --debug for details, or see 'supportinbox locate log'",
            err=True,
        )
        sys.exit(70)
    sys.exit(0)


def usage_line(exc: click.UsageError) -> str:
    """A usage error (unknown option, missing argument...) as one line that says where help is."""
    from supportinbox.domain.safetext import one_line

    message = one_line(exc.format_message()).rstrip(".")
    message = message[:1].lower() + message[1:]
    command = exc.ctx.command_path if exc.ctx is not None else "supportinbox"
    return f"supportinbox: {message} (see {command} --help)"


def __getattr__(name: str) -> object:
    if name == "cli":
        from supportinbox.cli.app import cli

        return cli
    raise AttributeError(name)


__all__ = ["cli", "main"]
