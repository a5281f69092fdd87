"""customer: who a customer is to us, before answering them."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.text import Text

from supportinbox.cli.app import CliContext, cli, pass_ctx
from supportinbox.cli.output import json_text
from supportinbox.cli.triage_cmds import _console, _local
from supportinbox.domain.safetext import clean, field, isolate, one_line
from supportinbox.domain.senders import sender_label
from supportinbox.domain.when import count_of
from supportinbox.store import conversations as store
from supportinbox.store.customers import customer_address, customer_profile


@cli.command()
@click.argument("who")
@click.option("--domain", "by_domain", is_flag=True, help="Also everyone at the address's domain.")
@click.option("--json", "as_json", is_flag=True, help="Print the profile as JSON.")
@pass_ctx
def customer(obj: CliContext, who: str, by_domain: bool, as_json: bool) -> None:
    """A customer's profile: first seen, every conversation, the team's notes.

    WHO is an address or a conversation id (its customer). With --domain, colleagues at
    the same company are included (never for public providers such as gmail.com).
    """
    _, account = obj.account()
    db = obj.db()
    now = datetime.now(UTC)
    store.refresh_if_stale(db, obj.config, account, now)
    profile = customer_profile(db, customer_address(db, who), by_domain=by_domain, now=now)
    if as_json:
        click.echo(json_text(profile.to_json()))
        return
    console = _console()
    head = Text()
    head.append(isolate(sender_label(profile.name, profile.email)), style="bold")
    counts = ", ".join(f"{n} {status}" for status, n in sorted(profile.counts.items()))
    head.append(
        f"\nfirst seen {_local(profile.first_seen)} · last {_local(profile.last_seen)} · "
        f"{count_of(len(profile.conversations), 'conversation')} ({counts})"
    )
    if profile.tags:
        head.append(f"\ntags: {' '.join(profile.tags)}")
    if profile.domain:
        head.append(f"\nwith everyone at {one_line(profile.domain)}")
    if profile.same_name:
        head.append(f"\n{profile.same_name_line}")
    console.print(head)
    for summary in profile.conversations:
        line = Text(f"  {summary.id}  {summary.status:<9} {_local(summary.last_message_at)}  ")
        if summary.customer_email != profile.email:
            line.append(f"{one_line(summary.customer_email, limit=40)}  ", style="dim")
        line.append(field(summary.subject, limit=80) or "(no subject)")
        # How it ended and what is still to come, a line each under it.
        for fact in profile.history.get(summary.id, ()):
            line.append(f"\n      {one_line(fact, limit=72)}", style="dim")
        console.print(line)
    if profile.notes:
        console.print(Text("\nNotes", style="bold"))
    for note in profile.notes:
        text = Text(f"  {_local(note.created_at)} {one_line(note.author, limit=40)} on ", style="dim")
        text.append(field(note.subject, limit=60) or "(no subject)", style="dim")
        text.append(f"\n    {field(clean(note.body), limit=300)}")
        console.print(text)
