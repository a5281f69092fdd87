"""sync and cache rebuild: bringing the local cache in step with the server."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import click

from supportinbox.cli.app import CliContext, can_ask, cli, exit_codes_epilog, pass_ctx
from supportinbox.cli.output import unfiltered
from supportinbox.domain.safetext import one_line
from supportinbox.errors import NoTerminal
from supportinbox.sync.engine import ProgressCallback, SyncResult

if TYPE_CHECKING:
    from supportinbox.app.context import AccountContext


def _count(number: int, word: str) -> str:
    return f"{number:,} {word}{'' if number == 1 else 's'}"


def summary_line(result: SyncResult) -> str:
    """One line: what arrived, what changed, how long it took."""
    seconds = f"{result.seconds:.1f} s"
    if result.new:
        per_folder = ", ".join(f"{one_line(f.name)} {f.new:,} new" for f in result.folders if f.new)
        line = f"synced {_count(result.new, 'message')} in {seconds} ({per_folder})"
    else:
        from supportinbox.cli.quick_sync import totals_line

        word = "nothing new" if result.skipped else "up to date"
        line = totals_line(word, result.seconds, [(f.name, f.total) for f in result.folders])
    extras = []
    if result.updated:
        extras.append(f"{_count(result.updated, 'flag change')}")
    if result.vanished:
        extras.append(f"{result.vanished:,} removed on the server")
    rebuilt = [one_line(f.name) for f in result.folders if f.rebuilt]
    if rebuilt:
        extras.append(f"{', '.join(rebuilt)} fetched again (the server renumbered it)")
    if result.skipped:
        extras.append(f"{_count(result.skipped, 'message')} skipped (left on the server, see the warning)")
    if result.pending_done:
        extras.append(f"{_count(result.pending_done, 'queued change')} sent")
    return line + ("; " + "; ".join(extras) if extras else "")


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A bar per folder while its new messages are stored, then a line for each step.

    A step (``total`` 0, such as sorting the queue after the folders) has no count: its
    line shows a moving bar and the time it has taken, so a first sync's seconds of
    threading and scoring are not mistaken for a hang.
    """
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        Task,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class Counted(MofNCompleteColumn):
        def render(self, task: Task) -> Text:
            return super().render(task) if task.total is not None else Text()

    columns = (TextColumn("{task.description}"), BarColumn(), Counted(), TimeElapsedColumn())
    # Cursor movements of its own: the one writer past the terminal filter (cli/output.py).
    console = Console(file=unfiltered(sys.stderr))
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(folder: str, done: int, total: int) -> None:
            if folder not in tasks:
                tasks[folder] = bar.add_task(
                    escape(one_line(folder, limit=40)), total=total if total else None
                )
            if total:
                bar.update(tasks[folder], completed=done, total=total)

        yield update


def run_sync(ctx: AccountContext, folders: Sequence[str] = ()) -> tuple[SyncResult, bool]:
    """Sync, refresh the triage queue, print the summary and what teammates did.

    Problems go to stderr; the summary line and one line per teammate change or conflict
    (from hooks that keep a ``summary_lines()``) go to stdout. Returns the result and
    whether the summary line was all that was printed.
    """
    from supportinbox.app import sync as app_sync
    from supportinbox.sync.hooks import default_hooks

    hooks = default_hooks(ctx.config, ctx.account_name, ctx.account)
    with _progress_bar(sys.stderr.isatty()) as progress:
        result = app_sync.fetch(ctx, progress=progress, hooks=hooks, folders=folders)
        app_sync.refresh_queue(ctx)  # still under the sorting step's line
    if result.cleared:
        _say_left(result.cleared)
    for problem in result.problems:
        click.echo(f"supportinbox: warning: {one_line(problem)}", err=True)
    if result.pending_failed:
        click.echo(
            f"supportinbox: warning: {_count(result.pending_failed, 'queued change')} could not be applied "
            "on the server and stay queued for the next sync",
            err=True,
        )
    click.echo(summary_line(result))
    quiet = not result.problems and not result.pending_failed and not result.cleared
    for hook in hooks:
        lines = getattr(hook, "summary_lines", None)
        if callable(lines):
            for line in lines():
                click.echo(one_line(str(line), limit=300, isolates=True))
                quiet = False
    return result, quiet


# 3, 4, 5: the password, the server, the login; 7: another sync; 8: a --folder not synced.
@cli.command(epilog=exit_codes_epilog((0, 1, 2, 3, 4, 5, 6, 7, 8, 70, 130)))
@click.option(
    "--folder",
    "folders",
    multiple=True,
    metavar="NAME",
    help="Sync only this folder (a name, or inbox / junk / sent); repeatable.",
)
@pass_ctx
def sync(obj: CliContext, folders: tuple[str, ...]) -> None:
    """Fetch new mail and changes from the server into the local cache.

    Changes made offline (status, claims, notes, moves) go to the server first; replies
    whose time has come (scheduled, or failed and due for another try) are sent after.
    Made for cron: on stdout a summary line, then a line for each reply sent and each
    teammate's change ('team: ...'); warnings (a reply that failed again) on stderr; and an
    exit code for each way it can fail (below; 7 when another sync of the account is still
    running after 2 s).
    """
    from supportinbox.cli import SYNC_KEPT, SYNC_TERMINATED, say_when_terminated

    say_when_terminated(SYNC_TERMINATED)
    try:
        from supportinbox.app.sync import clear_unfinished_rebuild

        cleared = clear_unfinished_rebuild(obj.account()[0])
        if cleared:
            _say_left(cleared)
        ctx = obj.context()
        result, quiet = run_sync(ctx, folders)
        quiet = quiet and not cleared
        acknowledge_new(ctx)
        send_waiting(ctx)
    except KeyboardInterrupt:
        _interrupted(f"supportinbox: sync interrupted; {SYNC_KEPT}")
    if not folders and obj.config_path is None and obj.account_option is None:
        # What a later `supportinbox sync` needs to answer alone when nothing changes.
        from supportinbox.cli import quick_sync

        quick_sync.remember(ctx, [(f.role, f.name) for f in result.folders], quiet=quiet)


def acknowledge_new(ctx: AccountContext) -> None:
    """Queue the acknowledgements new conversations need (sent by :func:`send_waiting` next)."""
    if not ctx.account.acknowledgement.enabled:
        return
    from supportinbox.app import acknowledge

    report = acknowledge.acknowledge_new(ctx)
    for problem in report.problems:
        click.echo(f"supportinbox: warning: {one_line(problem)}", err=True)


def send_waiting(ctx: AccountContext) -> None:
    """Send the replies that are due: queued ones left behind, failed ones whose retry time came.

    What went out goes to stdout, what did not to stderr; either way the sync itself succeeded.
    """
    from supportinbox.store.outbox import anything_to_send

    if not anything_to_send(ctx.db.conn):
        return  # most syncs: the sending code (SMTP, the reply builder) need not even load
    from supportinbox.app import outbox as outbox_use
    from supportinbox.errors import UserError
    from supportinbox.mail import outbox as sender

    try:
        report = outbox_use.send(ctx)
    except UserError as exc:
        click.echo(f"supportinbox: warning: outbox: {exc.message}", err=True)
        return
    from supportinbox.store import acknowledgements
    from supportinbox.store import outbox as store

    automatic = acknowledgements.outbox_ids(ctx.db.conn)
    for outcome in report.outcomes:
        row = store.get(ctx.db.conn, outcome.outbox_id)
        if outcome.status.went_out and outcome.outbox_id in automatic:
            why = acknowledgements.reason_of(ctx.db.conn, outcome.outbox_id)
            said = sender.sent_line(row, acknowledgement=True) if row else f"#{outcome.outbox_id} sent"
            click.echo(f"outbox: {said} ({one_line(why)})")
        elif outcome.outbox_id in automatic and outcome.status == sender.SendStatus.CANCELLED:
            # outcome.message: "acknowledgement not sent: alice already replied to ..."
            click.echo(f"outbox: #{outcome.outbox_id} {one_line(outcome.message)}")
        elif outcome.status.went_out:
            if outcome.filed_only and outcome.status == sender.SendStatus.SENT:
                from supportinbox.cli.reply_cmds import FILED_ONLY

                named = sender.named(row) if row else f"reply #{outcome.outbox_id}"
                click.echo(f"outbox: {named} {FILED_ONLY}")
            elif not outcome.filed_only:
                click.echo(f"outbox: {sender.sent_line(row) if row else f'reply #{outcome.outbox_id} sent'}")
            if outcome.status == sender.SendStatus.UNFINISHED:
                click.echo(f"supportinbox: warning: outbox: {one_line(outcome.message)}", err=True)
        elif outcome.status != sender.SendStatus.CANCELLED:
            # The reply commands (templates, drafts) load only when a reply did not go out.
            from supportinbox.cli.reply_cmds import describe_outcome

            click.echo(f"supportinbox: warning: outbox: {one_line(describe_outcome(outcome))}", err=True)


def _say_left(what: str) -> None:
    """What a stopped rebuild had left, removed (one line on stderr)."""
    click.echo(f"supportinbox: {one_line(what, limit=400)}", err=True)


def _interrupted(line: str) -> NoReturn:
    """Ctrl-C: ``line`` on stderr, below the ^C the terminal shows; exit 130."""
    if sys.stderr.isatty():
        click.echo(err=True)
    click.echo(line, err=True)
    sys.exit(130)


class _Terminated(BaseException):
    """SIGTERM during a rebuild (not an Exception: nothing on the way may take it for an error)."""


def _terminated(_signum: int, _frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one is enough: the way out is not cut short
    raise _Terminated


@cli.group()
def cache() -> None:
    """The local cache of the mailbox."""


@cache.command(
    epilog=exit_codes_epilog(
        (0, 1, 2, 3, 4, 5, 6, 7, 11, 70, 130),
        {
            11: "no terminal to confirm on: add --yes",
            130: "cancelled: Ctrl-C, or 'no' to the question: the old cache is kept as it was",
        },
    )
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def rebuild(obj: CliContext, yes: bool) -> None:
    """Drop the cached mail and fetch it again (unsent replies and queued changes are kept).

    The mail is fetched into a new cache that replaces the old one only once the fetch is
    done: a rebuild that loses the server or is stopped halfway leaves the old cache
    untouched and in use, and keeps nothing of what it fetched.
    """
    from supportinbox import paths
    from supportinbox.app.context import AccountContext
    from supportinbox.mail import imap
    from supportinbox.store.db import open_database
    from supportinbox.store.rebuild import REBUILD_INTERRUPTED, FreshCache, kept_words, rebuild_cache
    from supportinbox.sync.lock import account_lock

    name, account = obj.account()
    path = paths.database_file(name)
    if not yes:
        if not can_ask():
            raise NoTerminal("no terminal to confirm on; add --yes")
        click.confirm(
            f"Fetch all the mail again into a new cache, to replace {path} once complete? "
            "Replies in the outbox and queued changes are kept.",
            abort=True,
        )
    obj.close()

    def fetch(fresh: FreshCache) -> None:
        if fresh.left:
            _say_left(fresh.left)
        kept = kept_words(fresh.kept)
        click.echo(f"fetching the mailbox again into a new cache{' (kept ' + kept + ')' if kept else ''}")
        with open_database(fresh.path) as db:
            run_sync(AccountContext(db, obj.config, name, account))

    # SIGTERM unwinds as Ctrl-C does, so the unfinished new cache is removed on the way out.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        with account_lock(name, inner_syncs=True):
            # Reach the server and log in before anything is built: offline, with a wrong
            # password or the server down, the rebuild stops at once.
            imap.logout(imap.connect(name, account))
            outcome = rebuild_cache(name, fetch)
    except KeyboardInterrupt:
        _interrupted(f"supportinbox: cache rebuild interrupted; {REBUILD_INTERRUPTED}")
    except _Terminated:
        # Dies of the signal, as without a handler (exit status 143 in a shell).
        from supportinbox.cli import die_of_signal

        said = f"supportinbox: cache rebuild stopped by SIGTERM; {REBUILD_INTERRUPTED}"
        die_of_signal(said, signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if outcome.backup is not None:
        click.echo(
            f"supportinbox: warning: the old cache could not be read ({one_line(outcome.problem)}): "
            f"what only it held could not be carried over; it was kept as {outcome.backup}",
            err=True,
        )
