"""merge, split: regroup conversations by hand (the customer's history stays whole)."""

from __future__ import annotations

import click

from supportinbox.app import merge as merge_use
from supportinbox.cli.app import CliContext, cli, pass_ctx
from supportinbox.cli.output import json_text
from supportinbox.domain.safetext import one_line


@cli.command()
@click.argument("conversation_ids", nargs=-1, required=True, metavar="ID OTHER...")
@click.option(
    "--force", is_flag=True, help="Merge conversations of different customers too (refused without it)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def merge(obj: CliContext, conversation_ids: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Merge the OTHER conversations into ID, which stays (with every message and the team state).

    Status, claim, notes, tags and follow-ups of the others go with their messages.
    Conversations of different customers are merged only with --force.
    Teammates see it at once when the server is reachable, else after the next sync.
    """
    result = merge_use.merge(obj.context(), conversation_ids, force=force)
    _print(result, as_json)


@cli.command()
@click.argument("conversation_id")
@click.option(
    "--from",
    "at_message",
    required=True,
    metavar="MESSAGE",
    help="The first message of the new conversation: its number in 'show' (2, 3, ...) or its Message-ID.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def split(obj: CliContext, conversation_id: str, at_message: str, as_json: bool) -> None:
    """Start a new conversation at MESSAGE: it and the later messages (replies to earlier ones stay).

    Teammates see it at once when the server is reachable, else after the next sync.
    """
    result = merge_use.split(obj.context(), conversation_id, at_message)
    _print(result, as_json)


def _print(result: merge_use.Regrouped, as_json: bool) -> None:
    if as_json:
        click.echo(json_text(result.to_json()))
        if not result.online:
            click.echo(f"note: {one_line(result.message, limit=300)}", err=True)
        return
    click.echo(one_line(result.message, limit=300))
