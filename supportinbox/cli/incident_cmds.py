"""incident list | show | reply | close: several customers, one problem, one answer.

Mail text is printed through :func:`~supportinbox.domain.safetext.one_line`, never as
markup; ``--json`` writes plain JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from supportinbox.app import incidents as incidents_use
from supportinbox.app import outbox as outbox_use
from supportinbox.cli.app import CliContext, ListGroup, can_ask, cli, exit_codes_epilog, pass_ctx
from supportinbox.cli.output import json_text
from supportinbox.cli.reply_cmds import _say_forced, _show_draft, count_down, report_sends
from supportinbox.domain import languages, templates
from supportinbox.domain.languages import Detected
from supportinbox.domain.safetext import field, isolate, one_line
from supportinbox.errors import Declined, NoTerminal, UsageProblem, UserError
from supportinbox.mail import drafts, variants
from supportinbox.mail import outbox as sender
from supportinbox.store import conversations as store
from supportinbox.store import incidents as incident_store
from supportinbox.store.db import Database
from supportinbox.store.incidents import IncidentSummary


@cli.group("incident", cls=ListGroup, invoke_without_command=True)
@click.pass_context
def incident_group(ctx: click.Context) -> None:
    """Incidents: several customers reporting the same problem within hours ([triage] incident_*).

    Alone, 'incident' is 'incident list'.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(incident_list)


def _line(incident: IncidentSummary) -> str:
    # Open, not "waiting": an open conversation may have had our answer already ('show' says).
    still_open = f", {incident.open} open" if incident.open else ""
    return (
        f"{incident.id}  {incident.status:<6}  {field(incident.reason)}  "
        f"({incident.members} conversations{still_open})"
    )


@incident_group.command("list")
@click.option("--all", "include_all", is_flag=True, help="Also quiet and closed incidents.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_ctx
def incident_list(obj: CliContext, include_all: bool, as_json: bool) -> None:
    """Active incidents, the latest report first."""
    _, account = obj.account()
    db = obj.db()
    store.refresh_if_stale(db, obj.config, account, datetime.now(UTC))
    found = incident_store.list_incidents(db, include_all=include_all)
    if as_json:
        now = datetime.now(UTC)
        listed = []
        for incident in found:
            members = incident_store.get_incident(db, incident.id, now)[1]
            waiting = drafts.awaiting_answer(db, account, [m.id for m in members])
            listed.append({**incident.to_json(), "waiting": len(waiting)})
        click.echo(json_text(listed))
        return
    if not found:
        click.echo("No active incidents." if not include_all else "No incidents.")
        return
    for incident in found:
        click.echo(_line(incident))


@incident_group.command("show")
@click.argument("incident_id")
@click.option("--json", "as_json", is_flag=True, help="Print the incident and its conversations as JSON.")
@pass_ctx
def incident_show(obj: CliContext, incident_id: str, as_json: bool) -> None:
    """An incident and every conversation in it."""
    _, account = obj.account()
    db = obj.db()
    now = datetime.now(UTC)
    store.refresh_if_stale(db, obj.config, account, now)
    incident, members = incident_store.get_incident(db, incident_id, now)
    waiting = set(drafts.awaiting_answer(db, account, [m.id for m in members]))
    if as_json:
        conversations = []
        for member in members:
            kept = drafts.kept_reply(db, member.id) if member.status == "open" else None
            answered = member.status == "open" and member.id not in waiting and kept is None
            conversations.append({**member.to_json(), "answered": answered, "reply_in_outbox": kept})
        shown = {**incident.to_json(), "waiting": len(waiting), "conversations": conversations}
        click.echo(json_text(shown))
        return
    click.echo(_line(incident))
    for member in members:
        who = one_line(member.customer_name) or one_line(member.customer_email)
        mark = ""
        if member.status == "open" and member.id not in waiting:
            kept = drafts.kept_reply(db, member.id)
            mark = f"  (our reply #{kept} waits in the outbox)" if kept is not None else "  (answered)"
        subject = field(member.subject, limit=60)
        click.echo(f"  {member.id}  {member.status:<8}  {_cells(who, 24)}  {subject}{mark}")


def _cells(text: str, width: int) -> str:
    """``text`` in a column of ``width`` terminal cells: cut with "…", padded with spaces.

    Counted in characters, a Japanese name (two cells each) or an Arabic one with its vowel
    marks (none) pushed the subjects beside it out of line.
    """
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) > width:
        text = set_cell_size(text, width - 1) + "…"
    # Isolated once cut, padded outside the isolate (see safetext.isolate).
    return isolate(text) + " " * (width - cell_len(text))


@incident_group.command("close")
@click.argument("incident_id")
@pass_ctx
def incident_close(obj: CliContext, incident_id: str) -> None:
    """Close an incident: its conversations go back to their own place in the queue.

    Teammates' copies close it too (at once when the server answers, else after the next sync).
    """
    _, account = obj.account()
    db = obj.db()
    closed = incidents_use.close(obj.context(), incident_id)
    store.refresh_if_stale(db, obj.config, account, datetime.now(UTC))
    click.echo(closed.message)


@incident_group.command(
    "reply",
    epilog=exit_codes_epilog(
        (0, 1, 2, 6, 8, 9, 10, 11, 70, 130),
        {
            1: "nothing sent: every customer of the incident was answered already",
            10: "held: a teammate claimed, closed or answered those not sent (--force sends them)",
            11: "a question needs a terminal: add --yes",
        },
        asks='"Send these N replies?"',
    ),
)
@click.argument("incident_id")
@click.option(
    "--template",
    "-t",
    "template_name",
    required=True,
    help="Template name (see 'supportinbox templates list').",
)
@click.option("--send", is_flag=True, help="Send them (otherwise only print the drafts).")
@click.option("--yes", "-y", is_flag=True, help="Send without asking for confirmation.")
@click.option(
    "--force", is_flag=True, help="Send even where a teammate claimed or answered (see 'reply --help')."
)
@pass_ctx
def incident_reply(
    obj: CliContext, incident_id: str, template_name: str, send: bool, yes: bool, force: bool
) -> None:
    """Answer every waiting customer of an incident with one template.

    Each customer gets their own reply (their name, their language where the template has a
    variant in it, their thread, their quote), each goes through the outbox and is flagged
    answered on its own, exactly as 'reply' does.
    """
    if force and not send:
        raise UsageProblem("--force only goes with --send")
    if send and not yes and not can_ask():
        # Before the drafts are printed: a script learns at once what to add.
        raise NoTerminal("no terminal to confirm on; add --yes")
    config = obj.config
    _, account = obj.account()
    db = obj.db()
    now = datetime.now(UTC)
    store.refresh_if_stale(db, config, account, now)
    incident, members = incident_store.get_incident(db, incident_id, now)
    waiting_ids = set(drafts.awaiting_answer(db, account, [m.id for m in members]))
    waiting = [m for m in members if m.id in waiting_ids]
    left_out = [m for m in members if m.id not in waiting_ids]
    kept = {m.id: found for m in left_out if (found := drafts.kept_reply(db, m.id)) is not None}
    for member in left_out:
        if member.id in kept:
            continue
        # Named, with who answered (a teammate's reply makes it pending), so the user sees
        # whom the batch leaves out and why before anything is sent.
        earlier = drafts.earlier_reply(db, account, member.id)
        if earlier is not None:
            click.echo(f"note: {member.id} left out, already answered: {earlier.describe()}", err=True)
        else:
            click.echo(f"note: {member.id} left out: {member.status}", err=True)
    for conversation_id, outbox_id in kept.items():
        click.echo(
            f"note: {conversation_id} left out: reply #{outbox_id} to it waits in the outbox "
            "('supportinbox outbox' says why)",
            err=True,
        )
    if not waiting:
        raise UserError(
            f"incident {incident.id}: nobody is waiting for an answer (each was answered since they "
            "last wrote, or our reply waits in 'supportinbox outbox'; 'reply ID' answers one again)"
        )
    available = [t.name for t in templates.scan_templates().templates]
    chosen = variants.variant_for_each(db, config, [m.id for m in waiting], template_name, available)
    base = languages.split_variant(template_name)[0]
    own = config.replies.language.split("-")[0]
    variant_codes = sorted(
        code for n in available if (v := languages.split_variant(n))[0] == base and (code := v[1])
    )
    prepared = []
    for member in waiting:
        draft = drafts.prepare_draft(db, config, account, member.id, chosen[member.id][0])
        prepared.append((draft, drafts.draft_message(draft, config, account)))
    if not send or not yes:
        for draft, msg in prepared:
            click.echo(
                f"── {draft.conversation_id}{_in_language(chosen[draft.conversation_id], variant_codes, own)}"
            )
            _show_draft(msg, draft.body)
            click.echo("")
    if not send:
        return
    if not yes and not click.confirm(f"Send these {len(prepared)} replies?", default=False):
        raise Declined("not sent")
    delay = config.replies.undo_seconds_cli
    ctx = obj.context()
    ids = []
    for draft, msg in prepared:
        try:
            # Only as the first reply: a customer answered since the check above (a 'reply'
            # run at the same time) is not answered twice.
            ids.append(outbox_use.queue(ctx, draft, msg, undo_seconds=delay, again=False, anyway=force))
        except drafts.RepliedMeanwhile as exc:
            click.echo(
                f"note: {draft.conversation_id} left out, answered meanwhile: {exc.earlier.describe()}",
                err=True,
            )
        except drafts.ReplyHeld as exc:
            click.echo(
                f"note: {draft.conversation_id} left out, {exc.message.removeprefix('not queued: ')}",
                err=True,
            )
    if not ids:
        raise UserError(f"incident {incident.id}: every customer was answered meanwhile: nothing was sent")
    if delay > 0:
        _undo_window(db, ids, delay)
    _say_forced(force, f"sending {len(ids)} replies")
    report_sends(ctx.db, outbox_use.send(ctx, ids=ids, anyway=force, force=True))


def _in_language(chosen: tuple[str, Detected | None], codes: list[str], own: str) -> str:
    """`` (acknowledge.de: the customer writes Deutsch (de))`` beside a draft in a variant; for
    the base template of one with variants ``codes``, why it was not one of them (as ``reply``)."""
    variant, found = chosen
    if languages.split_variant(variant)[1] is not None and found is not None:
        return f" ({one_line(variant)}: the customer writes {variants.language_name(found.language)})"
    if not codes or languages.split_variant(variant)[1] is not None:
        return ""
    if found is None:
        return f" ({one_line(variant)}: the customer's language is not clear; variants: {', '.join(codes)})"
    if found.language in (*codes, own):
        return ""
    return (
        f" ({one_line(variant)}: the customer writes {variants.language_name(found.language)}, "
        f"no variant in it; variants: {', '.join(codes)})"
    )


def _undo_window(db: Database, ids: list[int], seconds: float) -> None:
    """One countdown for the whole batch; Ctrl-C cancels every reply not yet being sent."""
    try:
        count_down(seconds, f"sending {len(ids)} replies")
    except KeyboardInterrupt:
        cancelled = sum(1 for outbox_id in ids if sender.cancel(db, outbox_id))
        click.echo(f"{cancelled} of {len(ids)} replies cancelled: not sent", err=True)
        raise click.Abort from None
