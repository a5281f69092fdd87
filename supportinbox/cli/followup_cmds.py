"""followup, followups: promise the customer more, and have the conversation come back for it."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.table import Table
from rich.text import Text

from supportinbox.app.followups import set_followup
from supportinbox.cli.app import CliContext, cli, pass_ctx
from supportinbox.cli.output import json_text
from supportinbox.cli.triage_cmds import _console, _local, parse_moment
from supportinbox.domain.safetext import field, one_line
from supportinbox.domain.when import EXAMPLES
from supportinbox.errors import UsageProblem
from supportinbox.store import conversations as store
from supportinbox.store.followups import list_active


@cli.command()
@click.argument("conversation_id")
@click.option("--in", "span", metavar="SPAN", help="Due in a while: 4h, 3d, 2w.")
@click.option("--at", "at", metavar="TIME", help=f"Due at a local time: {EXAMPLES}.")
@click.option(
    "--note",
    default=None,
    help="What you promised, shown as the reason when it comes due (moving one keeps its note).",
)
@click.option("--clear", is_flag=True, help="Remove the conversation's follow-up.")
@pass_ctx
def followup(
    obj: CliContext, conversation_id: str, span: str | None, at: str | None, note: str | None, clear: bool
) -> None:
    """Bring a conversation back into the queue at a time, with a reason.

    A customer reply before then clears it; so does your own reply after it came due.
    The team sees it at once when the server is reachable, else after the next sync.
    """
    if clear + (span is not None) + (at is not None) != 1:
        raise UsageProblem("give exactly one of --in 3d, --at TIME or --clear")
    if clear and note is not None:
        raise UsageProblem("--note goes with --in or --at, not with --clear")
    ctx = obj.context()
    due = None if clear else parse_moment(span, at, ctx.now(), span_flag="--in", at_flag="--at")
    result = set_followup(ctx, conversation_id, due, note)
    click.echo(one_line(result.message, limit=300))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, soonest first.")
@pass_ctx
def followups(obj: CliContext, as_json: bool) -> None:
    """Conversations with a follow-up or pending reminder to come (or due now), soonest first."""
    _, account = obj.account()
    db = obj.db()
    now = datetime.now(UTC)
    store.refresh_if_stale(db, obj.config, account, now)
    rows = list_active(db, now)
    if as_json:
        click.echo(json_text([r.to_json() for r in rows]))
        return
    console = _console()
    if not rows:
        console.print(Text("No follow-ups to come."))
        return
    table = Table(box=None, show_edge=False, pad_edge=False)
    for header in ("ID", "Due", "Status", "Customer", "Subject", "Reason"):
        table.add_column(header, no_wrap=header not in ("Subject", "Reason"), overflow="fold")
    for row in rows:
        table.add_row(
            Text(row.conversation_id),
            Text(("due " if row.due else "") + _local(row.due_at), style="bold" if row.due else ""),
            Text(row.status),
            Text(field(row.customer_name or row.customer_email, limit=30)),
            Text(field(row.subject, limit=60) or "(no subject)"),
            Text(one_line(row.reason, limit=200)),
        )
    console.print(table)
