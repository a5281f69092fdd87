"""reply, templates, outbox: answering customers from the command line."""

from __future__ import annotations

import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from pathlib import Path
from typing import NoReturn

import click

from supportinbox import paths
from supportinbox.app import outbox as outbox_use
from supportinbox.app.context import AccountContext
from supportinbox.cli.app import (
    SEND_ANYWAY_CODES,
    CliContext,
    ListGroup,
    can_ask,
    cli,
    edit_text,
    exit_codes_epilog,
    pass_ctx,
    require_editor,
)
from supportinbox.cli.output import json_text
from supportinbox.domain import cells, languages, replies, sendtime, templates
from supportinbox.domain.safetext import clean, field, one_line
from supportinbox.domain.when import when_words
from supportinbox.errors import Declined, Held, NoTerminal, NotFound, SendRefused, UsageProblem, UserError
from supportinbox.mail import drafts, variants
from supportinbox.mail import outbox as sender
from supportinbox.mail.outbox import SendStatus
from supportinbox.store import acknowledgements
from supportinbox.store import outbox as store
from supportinbox.store.conversations import get_conversation
from supportinbox.store.db import Database
from supportinbox.store.outbox import OutboxStatus

_FORCE_HELP = (
    "Send even if a teammate claimed, closed or already answered the conversation "
    "(skips that check only, on its retries too; the undo window and SMTP errors still apply)."
)


def _say_forced(force: bool, what: str) -> None:
    """With ``--force``, say on stderr that the teammate check is left out."""
    if force:
        click.echo(
            f"--force: {what} without checking whether a teammate claimed, closed or answered the "
            "conversation",
            err=True,
        )


def _mention_held(db: Database, conversation_id: str | None, sent_id: int) -> None:
    """Point at replies to the same conversation still held in the outbox (to avoid a double send)."""
    if not conversation_id:
        return
    for row in store.list_rows(db.conn, (OutboxStatus.FAILED, OutboxStatus.HELD)):
        if row.conversation_id == conversation_id and row.id != sent_id:
            click.echo(
                f"note: reply #{row.id} to this conversation is still in the outbox; "
                f"'supportinbox outbox discard {row.id}' drops it",
                err=True,
            )


_DRAFT_HEADERS = ("From", "To", "Cc", "Subject", "In-Reply-To", "References")


def _show_draft(msg: Message, body: str, note: str = "") -> None:
    for name in _DRAFT_HEADERS:
        if msg[name]:
            click.echo(f"{name}: {one_line(str(msg[name]))}")
    if note:
        click.echo(one_line(note))
    click.echo("")
    click.echo(clean(body), nl=not body.endswith("\n"))


def _edit(body: str, guide: str = "") -> str:
    """Open $VISUAL / $EDITOR on the body (a private temporary file); empty aborts.

    ``guide``: ``#`` lines put under the body (whom it answers, their message), left out again.
    """
    edited = edit_text(body + guide, "nothing was queued or sent", extension=".txt", require_save=False)
    if edited is None:
        edited = body
    elif guide:
        edited = "\n".join(line for line in edited.split("\n") if not line.startswith("#")).rstrip() + "\n"
    if not edited.strip():
        raise UserError("the reply is empty: nothing was queued or sent")
    return edited


def _keep_written(draft: drafts.Draft) -> Path:
    """Save a reply written in the editor but not sent, in the state folder's drafts (0600)."""
    moment = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = paths.state_dir() / "drafts" / f"reply-{draft.conversation_id}-{moment}.txt"
    paths.write_private_file(path, draft.body)
    return path


def _blank_guide(draft: drafts.Draft) -> str:
    """What a blank reply's empty file says about the reply it is, as ``#`` lines."""
    subject = replies.reply_subject(draft.original.subject)
    lines = [
        "",
        f"# Your reply to {one_line(draft.to, limit=200)}: {one_line(subject, limit=200)}",
        "# Lines starting with # are left out; an empty reply is neither queued nor sent.",
    ]
    quoted = replies.quote(draft.original.body_text, subject=draft.original.subject)
    if quoted:
        lines += ["#", "# They wrote:", *(f"# {line}" for line in quoted.split("\n"))]
    return "\n".join(lines) + "\n"


def count_down(seconds: float, what: str) -> None:
    """Wait out an undo window. On a terminal a line counts it down on stderr ("sending in
    2.4 s, Ctrl-C to cancel"); elsewhere (cron, a pipe, a log file) nothing is printed: a line
    rewritten five times a second is for a person watching, not for a cron mail."""
    live = sys.stderr.isatty()
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            if live:
                click.echo(f"\r{what} in {left:4.1f} s, Ctrl-C to cancel ", nl=False, err=True)
            time.sleep(min(0.2, left))
    finally:
        if live:
            click.echo("", err=True)


def _wait_for_undo(obj: CliContext, outbox_id: int, seconds: float) -> None:
    """Count down the undo window; Ctrl-C cancels the reply."""
    try:
        count_down(seconds, "sending")
    except KeyboardInterrupt:
        if sender.cancel(obj.db(), outbox_id):
            click.echo("reply cancelled: nothing was sent", err=True)
            raise click.Abort from None
        click.echo("too late to cancel: the reply is already being sent", err=True)


def held_advice(outbox_id: int) -> str:
    """What to do with a held reply, in commands (never a plain retry: it would be held again)."""
    return (
        f"'supportinbox outbox send-anyway {outbox_id}' sends it anyway, "
        f"'supportinbox outbox discard {outbox_id}' drops it"
    )


def _refuse_beside_held(held: drafts.ReplyHeld) -> NoReturn:
    """Refuse a reply beside one held for a teammate: which, and how to send or edit it."""
    ident = held.row.id
    raise drafts.ReplyHeld(
        held.row,
        advice=f"'supportinbox outbox send-anyway {ident}' sends it anyway, "
        f"'supportinbox outbox edit {ident}' edits it first, "
        f"'supportinbox outbox discard {ident}' drops it",
    ) from None


def draft_advice(outbox_id: int) -> str:
    """What to do with a reply the customer overtook."""
    return (
        f"'supportinbox outbox edit {outbox_id}' edits it to answer the latest message, "
        f"'supportinbox outbox retry {outbox_id}' sends it as it is, "
        f"'supportinbox outbox discard {outbox_id}' drops it"
    )


# A reply that went out in an earlier run, finished by this one.
FILED_ONLY = "filed in Sent: it had gone out before, and was not sent again"


def describe_outcome(outcome: sender.Outcome, *, anyway: bool = False) -> str:
    """One line for a reply that did not go out: why, and what happens next (``anyway``: the
    user chose to send it without the teammate check, which its retries leave out too)."""
    ident = outcome.outbox_id
    if outcome.joined is not None:
        first = outcome.joined
        return (
            f"#{ident} not kept: {outcome.message}; "
            f"'supportinbox outbox send-anyway {first}' sends it anyway, "
            f"'supportinbox outbox edit {first}' edits it first, 'supportinbox outbox discard {first}' "
            "drops it"
        )
    if outcome.status == SendStatus.HELD:
        return f"#{ident} held: {outcome.message}; {held_advice(ident)}"
    if outcome.status in (SendStatus.UNCERTAIN, SendStatus.SUPERSEDED):
        return f"#{ident} kept in the outbox: {outcome.message}"
    if outcome.status == SendStatus.DRAFT:
        return f"#{ident} not sent: {outcome.message}; {draft_advice(ident)}"
    if outcome.status == SendStatus.EDITING:
        return f"#{ident} not sent now: {outcome.message}"
    # The reason often ends in advice of its own, in parentheses: it is not wrapped in more.
    still = ", still without the teammate check" if anyway else ""
    if outcome.retry_at is not None:
        return (
            f"#{ident} not sent: {outcome.message}. It stays in the outbox; the next 'supportinbox sync' "
            f"(or the open app) tries again from {when_words(outcome.retry_at, ahead=True)}{still}"
        )
    return (
        f"#{ident} not sent: {outcome.message}. It stays in the outbox until you act: 'supportinbox "
        f"outbox retry {ident}' after fixing the cause{still}, or 'supportinbox outbox discard {ident}'"
    )


def report_sends(db: Database, report: sender.SendReport) -> None:
    """A line per reply sent, saying what went to whom; an error line per reply that was not
    (all of them held: exit 10, else 9)."""
    problems: list[str] = []
    only_held = True
    automatic = acknowledgements.outbox_ids(db.conn)
    for outcome in report.outcomes:
        row = store.get(db.conn, outcome.outbox_id)
        ack = outcome.outbox_id in automatic
        named = sender.named(row, acknowledgement=ack) if row is not None else f"#{outcome.outbox_id}"
        if outcome.status == SendStatus.SENT and not outcome.filed_only and row is not None:
            click.echo(sender.sent_line(row, acknowledgement=ack))
        elif outcome.status == SendStatus.SENT:
            click.echo(f"{named} {FILED_ONLY}")
        elif outcome.status == SendStatus.UNFINISHED:
            # The message says it went out: "sent, but not yet filed in Sent ...".
            click.echo(f"{named} {outcome.message}", err=True)
        elif outcome.status == SendStatus.CANCELLED and outcome.joined is None:
            click.echo(f"{named} was cancelled: not sent")
        elif outcome.status in (SendStatus.DRAFT, SendStatus.EDITING):
            click.echo(describe_outcome(outcome), err=True)
        else:
            problems.append(describe_outcome(outcome, anyway=row is not None and row.send_anyway))
            only_held = only_held and (outcome.status == SendStatus.HELD or outcome.joined is not None)
    # A line per reply not sent (each names its reply and what to run), the last one the
    # error the command ends with: never one line of several replies' reasons run together.
    for problem in problems[:-1]:
        click.echo(f"supportinbox: {one_line(problem)}", err=True)
    if problems and only_held:
        held = next(o for o in report.outcomes if o.status == SendStatus.HELD or o.joined is not None)
        raise Held(problems[-1], by=held.held_by or "", reason=held.message)
    if problems:
        raise SendRefused(problems[-1])


def _language_variant(obj: CliContext, db: Database, conversation: str, name: str, lang: str | None) -> str:
    """The variant of template ``name`` to use: ``--lang``, else the customer's language."""
    own = obj.config.replies.language
    available = [t.name for t in templates.scan_templates().templates]
    base, asked = languages.split_variant(name)
    if lang is not None:
        wanted = base if lang == own else f"{base}.{lang}"
        if wanted not in available:
            others = (
                ", ".join(sorted(n for n in available if languages.split_variant(n)[0] == base)) or "none"
            )
            raise NotFound(f"no template {wanted!r} (the variants of {base!r}: {others})")
        return wanted
    if asked is not None:
        return name  # a variant asked for by name
    chosen, found = variants.variant_for(db, obj.config, conversation, name, available)
    if chosen != name and found is not None:
        click.echo(
            f"template {chosen}: the customer writes {variants.language_name(found.language)}; "
            f"--lang {own} for {name}",
            err=True,
        )
        return chosen
    codes = sorted(code for n in available if (v := languages.split_variant(n))[0] == base and (code := v[1]))
    if not codes:
        return chosen
    there = ", ".join(f"--lang {code}" for code in codes)
    if found is None:
        # Too little of their own text to tell: the base template, and what else there is.
        click.echo(
            f"template {name}: the customer's language is not clear from what they wrote; "
            f"the variants there are: {there}",
            err=True,
        )
    elif found.language != own.split("-")[0]:
        # As the app's picker says it: a Persian customer, English, Arabic and German variants.
        click.echo(
            f"template {name}: the customer writes {variants.language_name(found.language)}, no variant "
            f"in it; the variants there are: {there}",
            err=True,
        )
    return chosen


# A send that fails (the server, SMTP, a password) keeps the reply in the outbox: 9.
@cli.command(
    epilog=exit_codes_epilog(
        (0, 1, 2, 6, 8, 9, 10, 11, 70, 130),
        {
            10: "held: a teammate claimed, closed or answered the conversation (--force sends it)",
            11: "a question needs a terminal: add the option named (--yes, --again)",
        },
        asks='"Send this reply?" (or "Send another reply?")',
    )
)
@click.argument("conversation")
@click.option(
    "--template",
    "-t",
    "template_name",
    help="Template name (see 'templates'). Without one, write the reply in $VISUAL / $EDITOR, "
    "then confirm and send it.",
)
@click.option("--send", is_flag=True, help="Send it (otherwise only print the draft).")
@click.option("--edit", is_flag=True, help="Edit the body in $VISUAL / $EDITOR first.")
@click.option("--yes", "-y", is_flag=True, help="Send without asking for confirmation.")
@click.option(
    "--again",
    is_flag=True,
    help="Send although we already replied and the customer has not written since "
    "(otherwise that is asked, even with --yes).",
)
@click.option("--all", "reply_all", flag_value=True, default=None, help="Reply to all (others go to Cc).")
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@click.option(
    "--lang",
    metavar="CODE",
    help="The template's language variant (NAME.CODE.txt); by default the customer's language, when "
    "a variant in it exists.",
)
@click.option(
    "--send-at",
    "send_at",
    metavar="TIME",
    help=f"Send later, at TIME (local): {sendtime.EXAMPLES}. Kept as a draft instead if the "
    "customer writes first.",
)
@click.option("--send-in", "send_in", metavar="SPAN", help="Send later, after SPAN: 30m, 2h, 1d.")
@click.option(
    "--next-business-hour",
    is_flag=True,
    help="Send when the team is next at work ([accounts.NAME.hours]); with --send-at or --send-in, "
    "that time moved into the business hours.",
)
@pass_ctx
def reply(
    obj: CliContext,
    conversation: str,
    template_name: str | None,
    send: bool,
    edit: bool,
    yes: bool,
    again: bool,
    reply_all: bool | None,
    force: bool,
    lang: str | None,
    send_at: str | None,
    send_in: str | None,
    next_business_hour: bool,
) -> None:
    """Answer CONVERSATION: with a template, print the draft or --send it; without one,
    write it in $EDITOR and send it.

    The reply goes to the outbox first, so a failed send is never lost: see
    'supportinbox outbox'. It is threaded under the customer's last message, filed in
    Sent, and that message is flagged as answered on the server. It is held (kept in the
    outbox) when a teammate claimed, closed or answered the conversation, unless --force.
    A second reply while the customer has not written since our last one is asked about
    first, naming the earlier reply; --again sends it without asking.

    --send-at, --send-in and --next-business-hour schedule it instead: it waits in the
    outbox and leaves with the first sync from that time (the open app, or 'supportinbox
    sync'); if the customer writes again before, it is kept there as a draft, not sent.
    """
    config = obj.config
    account_name, account = obj.account()
    now = datetime.now(UTC)
    when = sendtime.choose_send_time(
        at=send_at,
        within=send_in,
        next_business_hour=next_business_hour,
        hours=config.sla_settings(account).hours,
        now=now,
        account=account_name,
    )
    if when is not None and when <= now:
        # Only --next-business-hour names now: a time asked for (even a minute away) is waited for.
        click.echo("the team is at work now: the reply is sent at once", err=True)
        when = None
    if when is not None:
        send = True
    if template_name is None:
        edit = send = True  # a blank reply is written to be sent
    if force and not send:
        raise UsageProblem("--force only goes with --send")
    db = obj.db()
    if template_name is not None:
        template_name = _language_variant(obj, db, conversation, template_name, lang)
    elif lang is not None:
        raise UsageProblem("--lang goes with --template")
    draft = drafts.prepare_draft(db, config, account, conversation, template_name, reply_all=reply_all)
    for warning in drafts.warnings(db, draft):
        click.echo(f"supportinbox: warning: {warning}", err=True)
    if send and not force:
        # Before the question and the editor: another copy would only wait beside it.
        held = drafts.held_reply(db, draft.conversation_id)
        if held is not None:
            _refuse_beside_held(drafts.ReplyHeld(held))
    holder = get_conversation(db, draft.conversation_id).summary.assigned_to
    if send and not force and holder and holder != account.agent:
        # Said before the question, as the app does: answering 'y' would only hold it.
        click.echo(
            f"supportinbox: warning: {one_line(holder, limit=40)} holds this conversation: the reply "
            "waits in the outbox until you send it anyway (or add --force)",
            err=True,
        )
    if edit:
        # Before the confirmation's "add --yes", which would lead straight to this.
        require_editor(
            "write the reply from a template with -t NAME" if template_name is None else "drop --edit"
        )
    earlier = drafts.earlier_reply(db, account, draft.conversation_id) if send and not again else None
    if send and (earlier is not None or not yes) and not can_ask():
        # Refused before the editor opens: nothing written is lost.
        needed = (["--yes"] if not yes else []) + (["--again"] if earlier is not None else [])
        why = f" ({earlier.describe()}, and the customer has not written since)" if earlier else ""
        raise NoTerminal(f"no terminal to confirm on{why}; add {' '.join(needed)}")
    if edit:
        guide = _blank_guide(draft) if template_name is None else ""
        draft = drafts.with_body(draft, _edit(draft.body, guide))
    # A scheduled reply is dated when it leaves, so the customer's client sorts it there.
    msg = drafts.draft_message(draft, config, account, now=when)
    note = drafts.addressees(draft, account).note
    if not send:
        _show_draft(msg, draft.body, note)
        # On stderr: the draft on stdout stays the draft alone (a pipe, a file).
        click.echo("draft only, nothing was sent: add --send to send it", err=True)
        return
    later = f" {when_words(when, now)}" if when is not None else ""
    if earlier is not None or not yes:
        _show_draft(msg, draft.body, note)
        click.echo("")
        question = f"Send this reply{later}?"
        if earlier is not None:
            click.echo(f"Note: {earlier.describe()}, and the customer has not written since.")
            question = f"Send another reply{later}?"
        if not click.confirm(question, default=False):
            if edit:  # what was written in the editor is not thrown away with the answer
                raise Declined(f"not sent: what you wrote is kept in {_keep_written(draft)}")
            raise Declined("not sent")
    # Asked about no earlier reply: queued only while there is still none (run twice at once).
    first_only = earlier is None and not again
    if when is not None:
        ctx = obj.context()
        outbox_id = _queue_first(ctx, draft, msg, first_only, later, force, send_at=when)
        row = store.get(ctx.db.conn, outbox_id)
        click.echo(f"{sender.named(row) if row is not None else f'#{outbox_id}'} scheduled for{later}")
        click.echo(
            "note: it leaves with the first sync from then (the open app, or 'supportinbox sync'); "
            f"if the customer writes first it is kept as a draft. 'supportinbox outbox discard {outbox_id}' "
            "cancels it",
            err=True,
        )
        return
    delay = config.replies.undo_seconds_cli
    ctx = obj.context()
    outbox_id = _queue_first(ctx, draft, msg, first_only, later, force, undo_seconds=delay)
    if delay > 0:
        _wait_for_undo(obj, outbox_id, delay)
    _say_forced(force, f"sending reply #{outbox_id}")
    report_sends(ctx.db, outbox_use.send(ctx, ids=[outbox_id], anyway=force, force=True))
    if force:
        _mention_held(db, draft.conversation_id, outbox_id)


def _queue_first(
    ctx: AccountContext,
    draft: drafts.Draft,
    msg: EmailMessage,
    first_only: bool,
    later: str,
    force: bool,
    *,
    undo_seconds: float = 0.0,
    send_at: datetime | None = None,
) -> int:
    """Queue the reply; with ``first_only``, only while no other reply of ours to the customer
    is filed or on its way. One that came meanwhile (the command run twice at once) is asked
    about as before the question, or named with --again where nobody can be asked. Unless
    ``force``, never beside a reply held for a teammate: refused, naming it."""
    try:
        return outbox_use.queue(
            ctx, draft, msg, undo_seconds=undo_seconds, send_at=send_at, again=not first_only, anyway=force
        )
    except drafts.ReplyHeld as exc:
        _refuse_beside_held(exc)
    except drafts.RepliedMeanwhile as exc:
        if not can_ask():
            raise NoTerminal(f"{exc}; add --again to send this one too") from None
        click.echo(f"Note: {exc.earlier.describe()} meanwhile, and the customer has not written since.")
        if not click.confirm(f"Send another reply{later}?", default=False):
            raise Declined("not sent") from None
    try:
        return outbox_use.queue(
            ctx, draft, msg, undo_seconds=undo_seconds, send_at=send_at, again=True, anyway=force
        )
    except drafts.ReplyHeld as exc:
        _refuse_beside_held(exc)


# 3, 5: the password or login of the server it reads the record or attachments from; a
# server that cannot be reached leaves the record for the next sync (0). A failed send: 9.
@cli.command(
    epilog=exit_codes_epilog(
        (0, 1, 2, 3, 5, 6, 8, 9, 11, 70, 130),
        {11: "a question needs a terminal: add --yes"},
        asks='"Forward N messages to ADDRESS?"',
    )
)
@click.argument("conversation")
@click.option(
    "--to", "to", required=True, metavar="ADDRESS", help="Who gets it: a colleague or an outside address."
)
@click.option("--note", default="", help="A line for them, above the forwarded messages.")
@click.option("--excerpt", type=click.IntRange(min=1), metavar="N", help="Only the last N messages.")
@click.option(
    "--attachments",
    "with_files",
    is_flag=True,
    help="Attach the messages' files (fetched from the server); without it they are only named.",
)
@click.option("--yes", "-y", is_flag=True, help="Send without asking for confirmation.")
@pass_ctx
def forward(
    obj: CliContext, conversation: str, to: str, note: str, excerpt: int | None, with_files: bool, yes: bool
) -> None:
    """Forward CONVERSATION (every message, or the last N) to ADDRESS, e.g. to hand it over.

    It goes through the outbox like a reply (see 'supportinbox outbox'), as a new message
    "Fwd: SUBJECT" with your note first and each message with its From, Date and Subject;
    attachments are named, or attached with --attachments. The customer's thread is not touched; the
    forward is recorded on the conversation as an internal note for the team.
    """
    from supportinbox.app import handover
    from supportinbox.mail.forwarding import server_attachments

    ctx = obj.context()
    with server_attachments(ctx.account_name, ctx.account) as fetch:
        files = fetch if with_files else None
        written = handover.write_forward(ctx, conversation, to, note=note, excerpt=excerpt, attachments=files)
    if not yes:
        if not can_ask():
            raise NoTerminal("no terminal to confirm on; add --yes")
        _show_draft(written.message, str(written.message.get_content()))
        click.echo("")
        count = written.count
        if not click.confirm(f"Forward {count} message{'' if count == 1 else 's'} to {one_line(to)}?"):
            raise Declined("not sent")
    queued = handover.queue_forward(ctx, written)
    if not queued.recorded_online:
        click.echo("note: the record of the forward is shared with the team at the next sync", err=True)
    report_sends(ctx.db, outbox_use.send(ctx, ids=[queued.outbox_id], force=True))


@cli.group("templates", cls=ListGroup, invoke_without_command=True)
@click.pass_context
def templates_group(ctx: click.Context) -> None:
    """Reply templates (files in 'supportinbox locate templates').

    Alone, 'templates' is 'templates list'.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(templates_list)


@templates_group.command("list")
def templates_list() -> None:
    """Every template with its description; broken ones with their file, lines and mistakes."""
    scan = templates.scan_templates()
    if not scan.templates and not scan.broken:
        click.echo(
            f"no templates in {paths.templates_dir()}: 'supportinbox templates install' adds the defaults"
        )
        return
    width = max(len(name) for name in [*(t.name for t in scan.templates), *(b.name for b in scan.broken)])
    for template in scan.templates:
        status = f" [-> {template.status}]" if template.status else ""
        click.echo(f"{template.name:<{width}}  {one_line(template.description)}{status}")
    for broken in scan.broken:
        click.echo(f"{broken.name:<{width}}  BROKEN: {one_line(broken.describe())}")
    if scan.broken:
        click.echo(
            f"supportinbox: warning: {len(scan.broken)} broken template(s) in {paths.templates_dir()}; "
            "the others work",
            err=True,
        )


@templates_group.command("show")
@click.argument("name")
def templates_show(name: str) -> None:
    """Print a template's source and settings; a broken one's mistakes, each with its line."""
    try:
        template = templates.load_template(name)
    except templates.TemplateError as exc:
        if not exc.mistakes or exc.path is None:
            raise
        _show_mistakes(name, exc.path, exc.mistakes)
        sys.exit(exc.exit_code)
    click.echo(f"# {template.path}")
    if template.description:
        click.echo(f"# description: {one_line(template.description)}")
    if template.status:
        click.echo(f"# status after sending: {template.status}")
    if template.tags:
        click.echo(f"# tags: {', '.join(template.tags)}")
    if template.subject_prefix:
        click.echo(f"# subject prefix: {one_line(template.subject_prefix)}")
    click.echo(clean(template.source), nl=not template.source.endswith("\n"))


def _show_mistakes(name: str, path: Path, mistakes: list[templates.Mistake]) -> None:
    """Each mistake of a broken template, under it the line of the file it is on."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    count = f"{len(mistakes)} mistake{'' if len(mistakes) == 1 else 's'}"
    block = [f"supportinbox: template {name!r} ({clean(str(path))}) has {count}:"]
    for mistake in mistakes:
        block.append(f"  {one_line(str(mistake))}")
        if mistake.line and mistake.line <= len(lines):
            block.append(f"  {mistake.line:>5} | {clean(lines[mistake.line - 1]).rstrip()}")
    click.echo("\n".join(block), err=True)


@templates_group.command("install")
def templates_install() -> None:
    """Add the default templates that are missing (existing files are never changed)."""
    added = templates.install_default_templates()
    click.echo(f"added {len(added)} template(s) to {paths.templates_dir()}")


@cli.group("outbox", cls=ListGroup, invoke_without_command=True)
@click.pass_context
def outbox_group(ctx: click.Context) -> None:
    """Replies waiting to be sent, failed, or interrupted.

    Alone, 'outbox' is 'outbox list' ('outbox list --json' for scripts).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(outbox_list)


@outbox_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include sent and cancelled replies.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, oldest first.")
@pass_ctx
def outbox_list(obj: CliContext, show_all: bool = False, as_json: bool = False) -> None:
    """Replies not yet (fully) sent, where each stands and why; with --all, every reply."""
    rows = store.list_rows(obj.db().conn, None if show_all else store.WAITING)
    now = datetime.now(UTC)
    automatic = acknowledgements.outbox_ids(obj.db().conn)
    if as_json:
        click.echo(json_text([_outbox_json(row, now, row.id in automatic) for row in rows]))
        return
    if not rows:
        click.echo("the outbox is empty")
        return
    # States, queue times and recipients padded to the widest, so that every subject starts in
    # the same column; recipients and subject cut to what the terminal leaves of its line, the
    # subject 16 cells at least (on a pipe: recipients to 40 cells, subjects to 60). Each row
    # has two moments, where it stands ("scheduled tomorrow 09:30") and when it was queued
    # ("today 22:46"): a header names them, as 'list' names its columns. --json has them all.
    states = [sender.waiting_state(row, now) for row in rows]
    state_cells = max(len("State"), *(cells.width(state) for state in states))
    kinds = [
        "  (acknowledgement, automatic)"
        if row.id in automatic
        else "  (forward)"
        if row.conversation_id is None
        else ""
        for row in rows
    ]
    columns = shutil.get_terminal_size((0, 0)).columns
    fixed = len("#1234 ") + state_cells + len("    ") + max(map(len, kinds))
    queued = [f"{when_words(row.created_at, now)}  " for row in rows]
    queued_cells = max(len("Queued  "), *(cells.width(when) for when in queued))
    if columns and fixed + queued_cells + 12 + 16 > columns:
        # Too narrow for the queue times beside 12 cells of recipients and 16 of subject:
        # where each reply stands matters more than when it was written.
        queued, queued_cells = [""] * len(rows), 0
    fixed += queued_cells
    to_limit = max(12, min(40, columns - fixed - 16)) if columns else 40
    recipients = [field(", ".join(row.recipients), limit=to_limit) for row in rows]
    to_cells = max(len("To"), *(cells.width(to) for to in recipients))
    subject_cells = min(60, max(16, columns - fixed - to_cells)) if columns else 60
    queued_header = "Queued  " if queued_cells else ""
    header = f"{'ID':<5} {'State':<{state_cells}}  {queued_header:<{queued_cells}}{'To':<{to_cells}}  Subject"
    click.echo(header)
    click.echo("─" * len(header))
    for row, state, when, to, kind in zip(rows, states, queued, recipients, kinds, strict=True):
        padded = to + " " * (to_cells - cells.width(to))
        subject = field(row.subject, limit=subject_cells)
        click.echo(f"#{row.id:<4} {state:<{state_cells}}  {when:<{queued_cells}}{padded}  {subject}{kind}")
        # Why an acknowledgement was dropped (a teammate's went first, a person answered).
        if row.last_error and (row.status != OutboxStatus.CANCELLED or row.id in automatic):
            click.echo(f"      {one_line(row.reason, limit=300)}")
        if row.status == OutboxStatus.HELD:
            if _handed_to_us(obj, row):
                # Held for a teammate's claim, handed to us since: the reason above is history.
                click.echo(
                    f"      the conversation is yours now: 'supportinbox outbox retry {row.id}' sends it "
                    "after asking the server"
                )
            click.echo(f"      {held_advice(row.id)}")
        elif row.status == OutboxStatus.DRAFT:
            click.echo(f"      {draft_advice(row.id)}")
        elif row.status == OutboxStatus.EDITING:
            since = when_words(row.editing_since or row.created_at, now)
            click.echo(f"      open in an editor since {since}: it does not leave until the edit is saved")
        if row.send_anyway and row.status in (OutboxStatus.QUEUED, OutboxStatus.FAILED):
            # The user sent it anyway (--force): whoever reads the outbox later learns it goes so.
            held = f" (it had been held for {one_line(row.held_by, limit=40)})" if row.held_by else ""
            click.echo(f"      sent anyway{held}: it leaves without the teammate check")


def _outbox_json(row: store.OutboxRow, now: datetime, acknowledgement: bool) -> dict[str, object]:
    """One reply of ``outbox list --json``: docs/json.md describes each key."""
    return {
        "id": row.id,
        "status": str(row.status),
        "state": sender.waiting_state(row, now),
        "maybe_delivered": sender.maybe_delivered(row),
        "conversation": row.conversation_id,
        "to": list(row.recipients),
        "subject": row.subject,
        "message_id": row.message_id,
        "template": row.template,
        "acknowledgement": acknowledgement,
        "created_at": row.created_at,
        "send_at": row.send_at,
        "editing_since": row.editing_since,
        "next_attempt_at": row.next_attempt_at,
        "attempts": row.attempts,
        "reason": row.last_error,
        "held_by": row.held_by,
        "send_anyway": row.send_anyway,
        "sent_at": row.sent_at,
    }


def _handed_to_us(obj: CliContext, row: store.OutboxRow) -> bool:
    from supportinbox.team.store import local_state

    _, account = obj.account()
    if not row.conversation_id or row.held_by in (None, account.agent):
        return False
    return local_state(obj.db().conn, row.conversation_id).assigned_to == account.agent


def _outbox_row(conn: sqlite3.Connection, outbox_id: int) -> store.OutboxRow:
    """Reply ``outbox_id`` of the outbox, or one line saying there is none."""
    row = store.get(conn, outbox_id)
    if row is None:
        raise NotFound(f"no reply #{outbox_id} in the outbox (see 'supportinbox outbox')")
    return row


@outbox_group.command("show")
@click.argument("outbox_id", type=int)
@pass_ctx
def outbox_show(obj: CliContext, outbox_id: int) -> None:
    """Print one reply as it was (or will be) sent, with its state."""
    row = _outbox_row(obj.db().conn, outbox_id)
    tries = sender.tries_said(row)
    queued = when_words(row.created_at)  # as 'outbox list' says it
    click.echo(f"# #{row.id} {sender.waiting_state(row)}, {tries + ', ' if tries else ''}queued {queued}")
    if row.last_error:
        click.echo(f"# {one_line(row.reason, limit=300)}")
    msg, text = sender.reply_text(row)
    _show_draft(msg, text)


@outbox_group.command(
    "retry",
    epilog=exit_codes_epilog(
        (0, 1, 2, 6, 8, 9, 10, 70, 130),
        {10: "held again: a teammate claimed, closed or answered the conversation (--force sends it)"},
    ),
)
@click.argument("ids", nargs=-1, type=int)
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@pass_ctx
def outbox_retry(obj: CliContext, ids: tuple[int, ...], force: bool) -> None:
    """Send failed and waiting replies now (IDS only, when given).

    A reply that may already have been delivered (the server's answer to it was lost) is
    sent again only when its ID is given; so is one refused for good when another reply to
    its customer went out since (they would get two). A reply held because a teammate claimed, closed
    or answered the conversation is tried only when its ID is given (the teammate check
    runs again, unless --force); so is a scheduled reply kept as a draft because the
    customer wrote again, and a scheduled reply before its time (it is sent now). A reply
    once sent anyway (--force, send-anyway) leaves without the teammate check on every try.
    """
    which = "sending " + (", ".join(f"#{i}" for i in ids) if ids else "every waiting reply")
    ctx = obj.context()
    for outbox_id in ids:  # a mistyped id is said, not answered with "nothing to send"
        if (row := _outbox_row(ctx.db.conn, outbox_id)).status == OutboxStatus.SENT:
            click.echo(f"reply #{outbox_id} was sent already", err=True)
        elif row.status == OutboxStatus.EDITING and outbox_use.edit_open(ctx, outbox_id):
            raise SendRefused(f"reply #{outbox_id} was not sent: {sender.EDITING_NOTE}")
    _say_forced(force, which)
    report = outbox_use.send(
        ctx,
        ids=set(ids) if ids else None,
        anyway=force,
        force=True,
        held=bool(ids),
    )
    if not ids:
        for row in store.list_rows(ctx.db.conn, store.ON_REQUEST):
            reason = one_line(row.reason, limit=200)
            if row.status == OutboxStatus.HELD:
                click.echo(f"#{row.id} is still held ({reason}): {held_advice(row.id)}", err=True)
            else:
                click.echo(f"#{row.id} is a draft ({reason}): {draft_advice(row.id)}", err=True)
    if not report.outcomes:
        click.echo("nothing to send")
        return
    report_sends(ctx.db, report)


@outbox_group.command(
    "edit",
    epilog=exit_codes_epilog(
        (0, 1, 2, 6, 8, 9, 10, 11, 70, 130),
        {
            10: "the edited copy is held: a teammate claimed, closed or answered the conversation",
            11: "no terminal for $EDITOR: give the text with --body-file",
        },
    ),
)
@click.argument("outbox_id", type=int)
@click.option(
    "--body-file",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
    help="The new text (- for stdin); else $EDITOR opens.",
)
@click.option(
    "--send-at",
    "send_at",
    metavar="TIME",
    help=f"A scheduled reply: leave at TIME (local) instead: {sendtime.EXAMPLES}.",
)
@click.option("--send-in", "send_in", metavar="SPAN", help="A scheduled reply: leave after SPAN instead.")
@pass_ctx
def outbox_edit(
    obj: CliContext, outbox_id: int, body_file: str | None, send_at: str | None, send_in: str | None
) -> None:
    """Edit a reply waiting in the outbox.

    A scheduled reply is edited in place and keeps its time (--send-at or --send-in gives
    another): while it is open it does not leave, even if its time comes or another
    process sends the outbox; saved, it leaves at its time (at once if that passed
    meanwhile). Given up (an unchanged text, Ctrl-C, the editor failing) it stays as it was.

    A kept draft or a held reply is edited again, then sent: the copy answers the
    customer's latest message (a draft was kept because they wrote again); the old reply is
    dropped when the copy is sent, so giving up the edit (an empty or unchanged text)
    leaves it in the outbox as it was.
    """
    ctx = obj.context()
    row = _outbox_row(ctx.db.conn, outbox_id)
    if outbox_use.editable_now(row):
        _edit_scheduled(obj, ctx, outbox_id, body_file, send_at, send_in)
        return
    if send_at is not None or send_in is not None:
        raise UsageProblem(
            f"--send-at and --send-in change a scheduled reply's time; #{outbox_id} is {row.status}"
        )
    draft = outbox_use.reopen(ctx, outbox_id)
    if body_file is not None:
        body = _read_body(body_file)
    else:
        require_editor("give the text with --body-file")
        edited = edit_text(draft.body, f"reply #{outbox_id} stays in the outbox as it was", extension=".txt")
        if edited is None or edited.strip() == draft.body.strip():
            click.echo(f"unchanged: reply #{outbox_id} stays in the outbox as it was")
            return
        body = edited
    final = drafts.with_body(draft, body)
    msg = drafts.draft_message(final, ctx.config, ctx.account, now=ctx.now())
    delay = ctx.config.replies.undo_seconds_cli
    new_id = outbox_use.queue(ctx, final, msg, undo_seconds=delay, again=True, replaces=outbox_id)
    if delay > 0:
        _wait_for_undo(obj, new_id, delay)
    outbox_use.replace(ctx, outbox_id, new_id)
    click.echo(f"sending #{new_id} in place of #{outbox_id}", err=True)
    report_sends(ctx.db, outbox_use.send(ctx, ids=[new_id], force=True))


def _read_body(body_file: str) -> str:
    with click.open_file(body_file, encoding="utf-8") as handle:
        return str(handle.read())


def _edit_scheduled(
    obj: CliContext,
    ctx: AccountContext,
    outbox_id: int,
    body_file: str | None,
    send_at: str | None,
    send_in: str | None,
) -> None:
    """``outbox edit`` on a scheduled reply: edited in place, never sent while open."""
    now = ctx.now()
    when = sendtime.choose_send_time(
        at=send_at, within=send_in, next_business_hour=False, hours=None, now=now, account=ctx.account_name
    )
    if body_file is None:
        require_editor("give the text with --body-file")  # before it is taken from its schedule
    edit = outbox_use.edit_scheduled(ctx, outbox_id)
    body = edit.text
    try:
        if body_file is not None:
            body = _read_body(body_file)
        else:
            edited = edit_text(edit.text, f"reply #{outbox_id} keeps its text and time", extension=".txt")
            body = edit.text if edited is None else edited
        if body.strip() == edit.text.strip() and when is None:
            outbox_use.give_up_edit(ctx, edit)
            click.echo(f"unchanged: reply #{outbox_id} still leaves {when_words(edit.send_at, now)}")
            return
        saved = outbox_use.save_edit(ctx, edit, body, send_at=when)
    except UserError:
        if body.strip() and body.strip() != edit.text.strip():
            click.echo(body, nl=not body.endswith("\n"))  # not saved: the text is not lost with it
        raise
    finally:
        if edit.open:
            outbox_use.give_up_edit(ctx, edit)
    click.echo(saved_edit_words(saved, now))


def saved_edit_words(saved: outbox_use.SavedEdit, now: datetime) -> str:
    """What became of an edited scheduled reply, in a sentence naming the commands."""
    ident = saved.outbox_id
    if saved.kept:
        return f"reply #{ident} saved, but not scheduled: {saved.kept}; {draft_advice(ident)}"
    if saved.due:
        return (
            f"reply #{ident} saved; its time passed while it was open, so it leaves with the next sync "
            f"('supportinbox outbox retry {ident}' sends it now)"
        )
    return f"reply #{ident} saved: it leaves {when_words(saved.send_at, now)}"


@outbox_group.command("send-anyway", epilog=exit_codes_epilog(SEND_ANYWAY_CODES))
@click.argument("outbox_id", type=int)
@click.pass_context
def outbox_send_anyway(ctx: click.Context, outbox_id: int) -> None:
    """Send a reply held back because a teammate claimed, closed or answered the conversation
    (the same as 'supportinbox team send-anyway')."""
    from supportinbox.cli.team_cmds import send_anyway

    ctx.invoke(send_anyway, outbox_id=outbox_id)


def _why_not_discarded(outbox_id: int, status: str, accepted: bool) -> str:
    """Why a reply cannot be dropped any more: it left, or is leaving (exit 1, not "not sent")."""
    if status == OutboxStatus.SENT:
        return f"reply #{outbox_id} was already sent: there is nothing to discard"
    if status == OutboxStatus.CANCELLED:
        return f"reply #{outbox_id} was already discarded"
    if accepted:
        return (
            f"the SMTP server already accepted reply #{outbox_id}: it can no longer be discarded "
            f"('supportinbox outbox show {outbox_id}' says where it stands)"
        )
    return (
        f"reply #{outbox_id} is being sent right now and can no longer be discarded "
        f"('supportinbox outbox show {outbox_id}' says how it ended)"
    )


@outbox_group.command("discard")
@click.argument("outbox_id", type=int)
@pass_ctx
def outbox_discard(obj: CliContext, outbox_id: int) -> None:
    """Drop a reply that was not sent (it stays listed as cancelled)."""
    db = obj.db()
    row = _outbox_row(db.conn, outbox_id)
    if not sender.cancel(db, outbox_id):
        row = _outbox_row(db.conn, outbox_id)  # as it stands now: a send may have just ended
        raise UserError(_why_not_discarded(outbox_id, row.status, row.smtp_done_at is not None))
    click.echo(f"reply #{outbox_id} discarded: it will not be sent")
