"""tag, tags: label conversations (billing, bug, ...) and find them again (list --tag, tag:)."""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from supportinbox.app import tags as tag_use
from supportinbox.cli.app import CliContext, cli, pass_ctx
from supportinbox.cli.output import json_text
from supportinbox.cli.triage_cmds import _console
from supportinbox.domain.safetext import one_line
from supportinbox.domain.tags import parse_changes
from supportinbox.store.tags import tag_counts


@cli.command(context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
@click.argument("conversation_id")
@click.argument("changes", nargs=-1, required=True)
@pass_ctx
def tag(obj: CliContext, conversation_id: str, changes: tuple[str, ...]) -> None:
    """Add (+TAG, or TAG) and remove (-TAG) tags: 'supportinbox tag ID +billing -bug'.

    Teammates see them at once when the server is reachable, else after the next sync.
    """
    from supportinbox.store.conversations import resolve_id
    from supportinbox.store.tags import current_tags

    ctx = obj.context()
    change = parse_changes(changes)
    before = set(current_tags(ctx.db.conn, resolve_id(ctx.db, conversation_id)))
    result = tag_use.tag(ctx, conversation_id, change)
    click.echo(one_line(result.message, limit=300))
    for absent in (name for name in change.remove if name not in before):
        # A typo ('-biling'), or '-h' meant as help: say that nothing was removed.
        hint = " (help: supportinbox tag --help)" if absent == "h" else ""
        click.echo(f"note: {result.conversation_id} had no tag '{absent}': nothing removed{hint}", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, most used first.")
@pass_ctx
def tags(obj: CliContext, as_json: bool) -> None:
    """Every tag in use and how many conversations carry it ('list --tag TAG' lists them)."""
    rows = tag_counts(obj.db())
    if as_json:
        click.echo(json_text([{"tag": t, "conversations": n} for t, n in rows]))
        return
    console = _console()
    if not rows:
        console.print(Text("No tags yet: 'supportinbox tag ID +billing' adds one."))
        return
    table = Table(box=None, show_edge=False, pad_edge=False)
    table.add_column("Tag")
    table.add_column("Conversations", justify="right")
    for name, count in rows:
        table.add_row(Text(name), Text(str(count)))
    console.print(table)
