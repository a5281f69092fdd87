"""list, show, search, status, snooze, junk: triage from the command line.

Human output is a Rich table built from ``Text`` objects (mail text is never parsed as
markup) after :func:`~supportinbox.domain.safetext.one_line`; on a pipe Rich writes no
colour or escape sequences. ``--json`` writes plain JSON (which escapes by itself).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, cast

import click

from supportinbox.cli.app import CliContext, ListGroup, can_ask, cli, pass_ctx
from supportinbox.cli.output import json_text
from supportinbox.domain import followups, sla
from supportinbox.domain.conversation import (
    QUEUE_STATUSES,
    ConversationDetail,
    ConversationSummary,
    attachment_name,
    attachment_size,
    listed_attachments,
    no_text_note,
)
from supportinbox.domain.customer import nameless_sender
from supportinbox.domain.safetext import (
    FIRST_STRONG_ISOLATE,
    POP_DIRECTIONAL_ISOLATE,
    clean,
    field,
    has_right_to_left,
    isolate,
    one_line,
    steady_line,
)
from supportinbox.domain.senders import NOT_IN_SENT, WARNING_MARK, sender_label
from supportinbox.domain.status import snoozed_words
from supportinbox.domain.subjects import HEAD_SUBJECT_CELLS
from supportinbox.domain.tags import normalize_tag
from supportinbox.domain.threading import own_subject
from supportinbox.domain.when import (
    DAY_STARTS,
    EXAMPLES,
    age_words,
    example_wake_up,
    parse_span,
    parse_time,
    when_words,
)
from supportinbox.errors import UsageProblem, UserError
from supportinbox.store import conversations as store

if TYPE_CHECKING:
    # Rich only for the human output: ``--json`` (scripts, status bars) does not load it.
    from rich.console import Console, JustifyMethod
    from rich.table import Table
    from rich.text import Text

    from supportinbox.app.context import AccountContext
    from supportinbox.store.junk import JunkSuspect

# The width of a pipe or file (COLUMNS unset): no line is cut or wrapped short of it.
PIPE_WIDTH = 10_000


def _console() -> Console:
    """The console of the human output: the terminal's width; on a pipe, a line per row.

    On a pipe or a file without COLUMNS (``list | grep``, ``list | less -S``, ``> file``)
    every row is one line with every cell in full, as wide as its text: nothing is cut
    with "…" where a script or a search would miss it, nothing wraps. ``COLUMNS=100``
    asks for a width there; ``--json`` is the format for programs.
    """
    from rich.console import Console

    # highlight=False: Rich must not colour numbers or URLs found in mail text.
    console = Console(highlight=False, emoji=False, soft_wrap=False)
    if not console.is_terminal:
        # Rich pads every line to the table's width: nothing a file or grep wants.
        console.file = cast("IO[str]", _Unpadded(console.file))
        if "COLUMNS" not in os.environ:
            console.width = PIPE_WIDTH
    return console


def _whole_rows(console: Console) -> bool:
    """Whether tables print each row on one line with every cell in full (a pipe, see _console)."""
    return console.width >= PIPE_WIDTH


class _Unpadded:
    """A pipe or file that drops the spaces at the end of each line written to it."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self.encoding = getattr(out, "encoding", None) or "utf-8"  # Rich picks its box characters by it
        self._held = ""  # spaces at the end of a write: kept only if text follows them

    def write(self, text: str) -> int:
        lines = (self._held + text).split("\n")
        last = lines.pop()
        body = "".join(line.rstrip(" ") + "\n" for line in lines)
        kept = last.rstrip(" ")
        self._held = last[len(kept) :]
        self._out.write(body + kept)
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def isatty(self) -> bool:
        return False


def _echo_json(data: Any) -> None:
    click.echo(json_text(data))


def _local(value: str | None) -> str:
    when = parse_time(value)
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else ""


def _age(value: str | None, now: datetime) -> str:
    when = parse_time(value)
    return age_words(now - when) if when else ""


def _customer(summary: ConversationSummary, *, reason: bool = True, limit: int | None = 30) -> str:
    """The customer as one line; a table cuts the name at ``limit``, ``show`` gives it whole."""
    if nameless_sender(summary.customer_name, summary.customer_email):
        return one_line(summary.customer_name, limit=limit)
    return sender_label(summary.customer_name, summary.customer_email, limit=limit, reason=reason)


def _band_style(band: int) -> str:
    if sla.is_urgent(band):
        return "bold red"
    if sla.is_alarming(band):
        return "red"
    return "yellow" if sla.is_lifted(band) else ""


def _queue_cells(row: ConversationSummary, now: datetime) -> list[Text]:
    from rich.text import Text

    waiting = _age(row.waiting_since, now) if row.status == "open" else ""
    status = row.status
    if row.assigned_to:
        status += f" @{one_line(row.assigned_to)}"
    # Emoji sequences in their steady form: drawn wider than measured, they moved the columns.
    return [
        Text(row.id, style="bold"),
        Text(str(row.urgency), style=_band_style(row.band)),
        Text(steady_line(status)),
        Text(waiting),
        Text(steady_line(_customer(row, reason=False))),
        Text(steady_line(row.subject, limit=120) or "(no subject)"),
        Text(steady_line("; ".join(_why(row, now)))),
    ]


def _why(row: ConversationSummary, now: datetime) -> list[str]:
    """The Why column: when a snoozed conversation comes back, then the reasons."""
    snoozed = snoozed_words(row.status, row.snoozed_until, now)
    return [*filter(None, [snoozed]), *(one_line(r) for r in row.reasons)]


_CUSTOMER_MAX = 40  # the widest a customer's name and address is shown
_QUEUE_HEADERS = ("ID", "!", "Status", "Waiting", "Customer", "Subject", "Why")
_JUSTIFY: tuple[JustifyMethod, ...] = ("left", "right", "left", "right", "left", "left", "left")
_WIDE_COLUMNS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("ID", {"no_wrap": True}),
    ("!", {"justify": "right", "no_wrap": True}),
    ("Status", {"no_wrap": True}),
    ("Waiting", {"no_wrap": True, "justify": "right"}),
    # A word longer than its column ("Kalender-Synchronisation", an address) is broken
    # across lines, not cut: --wide shows every cell in full.
    ("Customer", {"overflow": "fold", "max_width": _CUSTOMER_MAX}),
    ("Subject", {"overflow": "fold", "ratio": 1}),
    ("Why", {"overflow": "fold", "ratio": 1}),
)
_GAP = 3  # between two columns: a space of padding on each side and the rule's space
_WHY_FROM = 60  # columns Customer, Subject and Why need together before Why is shown


def _queue_table(
    rows: list[ConversationSummary], now: datetime, width: int, *, wide: bool = False, whole: bool = False
) -> Table:
    """The queue as a table: one line per conversation, cut to ``width`` with "…".

    Like ``gh issue list``: the short columns keep their width, Customer and Subject share
    the rest (Subject the larger part), and Why only appears where there is room for it.
    ``wide`` is the layout that shows every cell in full, wrapping long ones; ``whole``
    (a pipe) every cell in full on one line.
    """
    from rich import box
    from rich.table import Table

    cells = [_queue_cells(row, now) for row in rows]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    if whole:
        for name, justify in zip(_QUEUE_HEADERS, _JUSTIFY, strict=True):
            table.add_column(name, no_wrap=True, justify=justify)
        for line in cells:
            table.add_row(*_isolated(line, None))
        return table
    if wide:
        for name, kwargs in _WIDE_COLUMNS:
            table.add_column(name, **kwargs)
        for line in cells:
            # A cell folded over lines loses its isolates at the terminal (they pair per line).
            table.add_row(*_isolated(line, None))
        return table
    fixed = [
        max([len(name), *(line[index].cell_len for line in cells)])
        for index, name in enumerate(_QUEUE_HEADERS[:4])
    ]
    fixed[2] = min(fixed[2], 16)  # a long owner name is cut, the status word stays
    free = width - sum(fixed) - _GAP * 5
    why = free * 2 // 7 if free >= _WHY_FROM else 0
    free -= why + (_GAP if why else 0)
    customer = max(8, min(28, free // 3))
    widths = [*fixed, customer, max(10, free - customer), why]
    # No column wider than its widest cell (a pipe gets no padding to the width); what one
    # leaves unused goes to Why, then Customer, where their text is cut.
    widest = [
        max([len(name), *(line[i].cell_len for line in cells)]) for i, name in enumerate(_QUEUE_HEADERS)
    ]
    spare = 0
    for index in (4, 5, 6):
        spare += max(0, widths[index] - widest[index])
        widths[index] = min(widths[index], widest[index])
    for index in (6, 4):
        if widths[index]:  # a hidden Why stays hidden
            grow = min(
                spare, widest[index] - widths[index], _CUSTOMER_MAX - widths[index] if index == 4 else spare
            )
            widths[index] += grow
            spare -= grow
    for name, size, justify in zip(_QUEUE_HEADERS, widths, _JUSTIFY, strict=True):
        if size:
            table.add_column(name, width=size, no_wrap=True, overflow="ellipsis", justify=justify)
    for line in cells:
        table.add_row(*_isolated(line, widths)[: len(table.columns)])
    return table


def _isolated(line: list[Text], widths: list[int] | None) -> list[Text]:
    """The cells of a row, each text cut to its column's ``widths`` and then isolated.

    Cut first: the table's own cut would drop the closing mark of an isolated cell.
    """
    from rich.text import Text

    out = []
    for index, cell in enumerate(line):
        if widths is not None and cell.cell_len > widths[index] > 0:
            cell = cell.copy()
            cell.truncate(widths[index], overflow="ellipsis")
        if has_right_to_left(cell.plain):
            cell = Text.assemble(FIRST_STRONG_ISOLATE, cell, POP_DIRECTIONAL_ISOLATE)
        out.append(cell)
    return out


def _account_and_db(obj: CliContext) -> tuple[str, Any, Any]:
    name, account = obj.account()
    return name, account, obj.db()


def _share(ctx: AccountContext, conversation_id: str, done: str) -> None:
    """Tell the team now, then say ``done`` and whether the team has it (as claim and note do);
    when that fails the change stays here and the next sync sends it."""
    from supportinbox.app import team_actions

    try:
        result = team_actions.push_state(ctx, conversation_id)
    except UserError as exc:
        click.echo(
            f"note: changed here only ({one_line(exc.message, limit=200)}); the next sync shares it",
            err=True,
        )
        click.echo(done)
        return
    if not result.online:
        click.echo(f"note: {one_line(result.message, limit=200)}", err=True)
    click.echo(f"{done} (shared with the team)" if result.online else done)


@cli.command("list")
@click.option(
    "--status",
    type=click.Choice([*QUEUE_STATUSES, "all"]),
    default="open",
    show_default=True,
    help="Which conversations to list (automated: auto-replies, bounces, lists, bulk mail).",
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array in triage order.")
@click.option("--mine", is_flag=True, help="Only conversations assigned to me (account.agent).")
@click.option("--unassigned", is_flag=True, help="Only conversations nobody has claimed.")
@click.option("--wide", is_flag=True, help="Show every cell in full, wrapping long ones.")
@click.option("--tag", "tag", metavar="TAG", help="Only conversations with this tag.")
@pass_ctx
def list_command(
    obj: CliContext,
    status: str,
    limit: int,
    as_json: bool,
    mine: bool,
    unassigned: bool,
    wide: bool,
    tag: str | None,
) -> None:
    """The triage queue: incidents, then urgent, then past or near the SLA, then the rest."""
    if mine and unassigned:
        raise UsageProblem("--mine and --unassigned exclude each other: pick one")
    name, account, db = _account_and_db(obj)
    now = datetime.now(UTC)
    store.refresh_if_stale(db, obj.config, account, now)
    if as_json and obj.config_path is None and obj.account_option is None:
        from supportinbox.cli import quick

        quick.remember(obj.config, name, account)
    rows = store.list_queue(
        db,
        status=status,
        limit=limit,
        assigned_to=account.agent if mine else None,
        unassigned=unassigned,
        tag=_tag(tag),
        now=now,
    )
    if as_json:
        _echo_json([r.to_json() for r in rows])
        return
    from rich.text import Text

    console = _console()
    if not rows:
        said = f"No {status if status != 'all' else ''} conversations.".replace("  ", " ")
        from supportinbox.store.messages import last_synced

        if last_synced(db.conn) is None:
            # An empty list before the first sync says nothing about the mailbox.
            said = (
                f"No conversations yet: account '{name}' was never synced; "
                "'supportinbox sync' fetches its mail."
            )
        console.print(Text(said))
        return
    console.print(_queue_table(rows, now, console.width, wide=wide, whole=_whole_rows(console)))


def _tag(text: str | None) -> str | None:
    if text is None:
        return None
    tag = normalize_tag(text)
    if tag is None:
        raise UsageProblem(f"--tag {text!r}: a tag is one word of letters, digits, '-' or '_'")
    return tag


def _show_detail(detail: ConversationDetail, now: datetime, same_name: str = "") -> None:
    """``same_name``: the hint that another customer has the customer's name, under theirs."""
    from rich.text import Text

    console = _console()
    summary = detail.summary
    head = Text()
    head.append(field(summary.subject, limit=HEAD_SUBJECT_CELLS) or "(no subject)", style="bold")
    head.append(f"\n{summary.id} · {summary.status}")
    if summary.assigned_to:
        head.append(f" · assigned to {one_line(summary.assigned_to)}")
    if summary.snoozed_until:
        head.append(f" · snoozed until {_local(summary.snoozed_until)}")
    if summary.followup_at:
        head.append(f" · follow-up {_local(summary.followup_at)}")
    if summary.tags:
        head.append(f" · tags {' '.join(summary.tags)}")
    head.append(f" · urgency {summary.urgency}")
    head.append(f"\ncustomer: {isolate(_customer(summary, limit=None))}")
    if same_name:
        head.append(f"\n  {same_name}")
    for reason in summary.reasons:
        head.append(f"\n  • {one_line(reason)}")
    console.print(head)
    for number, message in enumerate(detail.messages, 1):
        # The number is what 'split ID --from N' takes.
        line = Text(f"\n── {number}. ", style="dim")
        line.append(f"{_local(message.date)}  ", style="dim")
        line.append(
            isolate(sender_label(message.from_name, message.from_addr, limit=None)),
            style="bold" if not message.from_us else "",
        )
        if message.poses_as_us:
            line.append(f"  {WARNING_MARK} {NOT_IN_SENT}", style="bold")
        line.append(f"  [{one_line(message.folder)}]{'  (us)' if message.from_us else ''}", style="dim")
        if message.automated and message.from_us:
            line.append("  acknowledgement, sent automatically", style="dim")
        elif message.automated:
            line.append(f"  automated: {one_line(message.automated)}", style="dim")
        console.print(line)
        if own_subject(message.subject, summary.subject):
            console.print(Text(f"Subject: {field(message.subject, limit=HEAD_SUBJECT_CELLS)}", style="dim"))
        if message.reply_to and not message.from_us:
            from supportinbox.domain.replies import reply_to_elsewhere

            reply_to = message.reply_to.split()
            elsewhere = " (differs from sender)" if reply_to_elsewhere(message.from_addr, reply_to) else ""
            console.print(Text(f"Reply-To: {one_line(', '.join(reply_to))}{elsewhere}", style="dim"))
        # Each line of the body a paragraph of its own direction: a Persian line naming
        # "Acme Pro" reads right to left on a terminal that orders such text.
        body = clean(message.body_text).rstrip() or no_text_note(
            message.attachments, message.automated_reason
        )
        console.print(Text("\n".join(isolate(part) for part in body.split("\n"))))
        for attachment in listed_attachments(message.attachments):
            name = isolate(one_line(attachment_name(attachment), limit=80))
            size = attachment.get("size")
            said = f" ({attachment_size(size)})" if size is not None else ""
            console.print(Text(f"  attachment: {name}{said}"))
    for note in detail.notes:
        text = Text(f"\n── note by {one_line(note.author)} {_local(note.created_at)}\n", style="dim")
        text.append(clean(note.body).rstrip())
        console.print(text)


@cli.command()
@click.argument("conversation_id")
@click.option("--json", "as_json", is_flag=True, help="Print the conversation as JSON.")
@pass_ctx
def show(obj: CliContext, conversation_id: str, as_json: bool) -> None:
    """Print a conversation with every message and note (marks it read: ui.mark_read)."""
    from supportinbox.app.read_state import read_on_open

    ctx = obj.context()
    db, now = ctx.db, ctx.now()
    store.refresh_if_stale(db, ctx.config, ctx.account, now)
    read_on_open(ctx, conversation_id)
    detail = store.get_conversation(db, conversation_id, now)
    if as_json:
        _echo_json(detail.to_json())
        return
    from supportinbox.store.customers import same_name_hint

    summary = detail.summary
    _show_detail(detail, now, same_name_hint(db, summary.customer_name, summary.customer_email))


@cli.command()
@click.argument("conversation_id")
@click.argument("state", type=click.Choice(["read", "unread"]))
@pass_ctx
def mark(obj: CliContext, conversation_id: str, state: str) -> None:
    """Mark a conversation read, or its latest message unread; the next sync tells the server."""
    from supportinbox.app.read_state import mark_read

    ctx = obj.context()
    store.refresh_if_stale(ctx.db, ctx.config, ctx.account)
    change = mark_read(ctx, conversation_id, state == "read")
    if change.changed:
        click.echo(
            f"{change.conversation_id}: {state} ({change.changed} message(s); the next sync tells the server)"
        )
    else:
        click.echo(f"{change.conversation_id}: already {state}")


@cli.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--wide", is_flag=True, help="Show every cell in full, wrapping long ones.")
@pass_ctx
def search(obj: CliContext, query: tuple[str, ...], limit: int, as_json: bool, wide: bool) -> None:
    """Search subjects, senders and bodies; filters: from:ADDR status:S tag:TAG owner:AGENT (me,
    nobody) is:urgent is:unread."""
    _, account, db = _account_and_db(obj)
    now = datetime.now(UTC)
    store.refresh_if_stale(db, obj.config, account, now)
    rows = store.search(db, " ".join(query), limit=limit, now=now, me=account.agent)
    if as_json:
        _echo_json([r.to_json() for r in rows])
        return
    if not rows:
        from rich.text import Text

        _console().print(Text("Nothing found."))
        return
    console = _console()
    console.print(_queue_table(rows, now, console.width, wide=wide, whole=_whole_rows(console)))


@cli.command()
@click.argument("conversation_id")
@click.argument("new_status", type=click.Choice(["open", "pending", "closed"]))
@pass_ctx
def status(obj: CliContext, conversation_id: str, new_status: str) -> None:
    """Set a conversation's status by hand (a customer reply reopens a closed one).

    The team sees it at once when the server is reachable, else after the next sync.
    """
    from supportinbox.app.status import set_status

    ctx = obj.context()
    summary = set_status(ctx, conversation_id, new_status)
    _share(ctx, summary.id, f"{summary.id} is {summary.status} now")
    if summary.status == "closed" and can_ask():  # a person at a terminal, not a script
        from supportinbox.domain import templates  # only here: listing loads no template code

        closing = any(t.name == followups.CLOSING_TEMPLATE for t in templates.scan_templates().templates)
        click.echo(f"note: {followups.after_close(summary.id, closing_template=closing)}", err=True)


def _example_until(now: datetime) -> str:
    """An example --until value that lies ahead (next Monday 09:00, local time)."""
    return f"{example_wake_up(now.astimezone()):%Y-%m-%dT%H:%M}"


def parse_snooze(until: str | None, span: str | None, now: datetime) -> datetime:
    """The wake-up time from ``--until`` (local time unless it says otherwise) or ``--for``."""
    if (until is None) == (span is None):
        raise UsageProblem(f"give exactly one of --until {_example_until(now)} or --for 3d")
    return parse_moment(span, until, now, span_flag="--for", at_flag="--until")


def parse_moment(
    span: str | None, at: str | None, now: datetime, *, span_flag: str, at_flag: str
) -> datetime:
    """A time ahead from a span (``3d``) or a date and time (local unless it says otherwise)."""
    if span is not None:
        delta = parse_span(span)
        if delta is None:
            raise UsageProblem(
                f"{span_flag} {span!r}: use a positive number and a unit, e.g. 30m, 4h, 3d, 2w"
            )
        return now + delta
    assert at is not None
    from supportinbox.domain.sendtime import parse_send_time

    # The times 'reply --send-at' and the app's snooze field take, in local time.
    when = parse_send_time(at, now)
    if when is None:
        raise UsageProblem(f"{at_flag} {at!r} is not a time ahead: try {EXAMPLES}")
    return when


@cli.command()
@click.argument("conversation_id")
@click.argument("words", nargs=-1, metavar="[WHEN]")
@click.option(
    "--until",
    "--at",
    "until",
    help=f"Wake-up time (local): {EXAMPLES}; a day alone means {DAY_STARTS} that day.",
)
@click.option("--for", "--in", "span", help="Snooze for a while: 30m, 4h, 3d, 2w.")
@pass_ctx
def snooze(
    obj: CliContext, conversation_id: str, words: tuple[str, ...], until: str | None, span: str | None
) -> None:
    """Hide a conversation until a time; it comes back as open (or earlier if the customer writes).

    WHEN is --until or --for without the option: 'snooze ID tomorrow 9:30', 'snooze ID 3d'.
    """
    from supportinbox.app.status import set_status

    ctx = obj.context()
    if words:
        if until is not None or span is not None:
            raise UsageProblem("give the time once: as WHEN, with --until or with --for")
        until = " ".join(words)  # a span ('3d') reads as a time ahead too
    when = parse_snooze(until, span, ctx.now())
    summary = set_status(ctx, conversation_id, "snoozed", snoozed_until=when)
    # Said as a scheduled reply's time is ("today 22:24", "tomorrow 09:00", "Mon 14 Dec 09:00").
    until_words = when_words(parse_time(summary.snoozed_until) or when, ctx.now())
    _share(ctx, summary.id, f"{summary.id} is snoozed until {until_words}")


def _suspect_table(rows: list[JunkSuspect], *, whole: bool = False) -> Table:
    """The spam folder's likely customers; ``whole`` (a pipe): every cell in full on one line."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("ID", no_wrap=True, justify="right")
    table.add_column("Score", no_wrap=True, justify="right")
    if whole:
        for name in ("From", "Subject", "Why"):
            table.add_column(name, no_wrap=True)
    else:
        table.add_column("From", overflow="ellipsis", max_width=40)
        table.add_column("Subject", overflow="ellipsis", ratio=1)
        table.add_column("Why", overflow="fold", ratio=1)
    for row in rows:
        who = row.who(reason=False)
        table.add_row(
            Text(str(row.uid), style="bold"),
            Text(str(row.score)),
            Text(field(who)),
            Text(field(row.subject, limit=120) or "(no subject)"),
            Text("; ".join(_suspect_notes(row))),
        )
    return table


def _suspect_notes(row: JunkSuspect) -> list[str]:
    queued = ["rescue queued for the next sync"] if row.rescue_queued else []
    return queued + [one_line(r) for r in row.reasons]


def _junk_list(obj: CliContext, as_json: bool, include_all: bool) -> None:
    _, account, db = _account_and_db(obj)
    store.refresh_if_stale(db, obj.config, account)
    from rich.text import Text

    from supportinbox.store.junk import list_suspects, refresh_junk_verdicts

    refresh_junk_verdicts(db, account)
    rows = list_suspects(db, include_all=include_all)
    if as_json:
        _echo_json([r.to_json() for r in rows])
        return
    if not rows:
        _console().print(Text("No likely customers in Junk."))
        return
    console = _console()
    console.print(_suspect_table(rows, whole=_whole_rows(console)))
    if not include_all:
        click.echo("Rescue one with: supportinbox junk rescue ID")


def _junk_rescue(obj: CliContext, uid: int, as_json: bool) -> None:
    from supportinbox.app.junk import rescue
    from supportinbox.sync.hooks import default_hooks

    ctx = obj.context()
    result = rescue(ctx, uid, hooks=default_hooks(ctx.config, ctx.account_name, ctx.account))
    if as_json:
        _echo_json(
            {
                "rescued": uid,
                "conversation": result.conversation_id,
                "synced": result.synced,
                "queued": result.queued,
                "note": result.note,
                "reopened": result.reopened or None,
            }
        )
        return
    if result.queued:
        click.echo(f"message {uid}: {result.note}")
        return
    where = f": conversation {result.conversation_id}" if result.conversation_id else ""
    if result.reopened:
        where += f" ({result.describe_reopened()})"
    click.echo(f"moved message {uid} to the inbox as not junk{where}")
    if result.note:
        click.echo(result.note)


def _junk_move(obj: CliContext, conversation_id: str) -> None:
    from supportinbox.app.junk import report_spam
    from supportinbox.sync.hooks import default_hooks

    ctx = obj.context()
    result = report_spam(ctx, conversation_id, hooks=default_hooks(ctx.config, ctx.account_name, ctx.account))
    plural = "s" if result.moved != 1 else ""
    click.echo(f"moved {result.moved} message{plural} of {result.conversation_id} to Junk")
    if result.note:
        click.echo(result.note)


_JSON_SUSPECTS = click.option("--json", "as_json", is_flag=True, help="Print the messages as a JSON array.")
_ALL_SUSPECTS = click.option(
    "--all", "include_all", is_flag=True, help="Every Junk message with its score, not only likely customers."
)


@cli.group("junk", cls=ListGroup, invoke_without_command=True)
@click.pass_context
def junk_group(ctx: click.Context) -> None:
    """The Junk folder: real customers caught in it (alone: 'junk list'), rescue, move mail there."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(junk_list)


@junk_group.command("list")
@_JSON_SUSPECTS
@_ALL_SUSPECTS
@pass_ctx
def junk_list(obj: CliContext, as_json: bool = False, include_all: bool = False) -> None:
    """Likely customers in Junk (as of the last sync), with the reasons; ID is for 'junk rescue'."""
    _junk_list(obj, as_json, include_all)


@junk_group.command("rescue")
@click.argument("uid", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@pass_ctx
def junk_rescue(obj: CliContext, uid: int, as_json: bool) -> None:
    """Move Junk message ID (see 'junk list') to the inbox as not junk; it joins its conversation.

    Offline, the move is queued and done by the next sync.
    """
    _junk_rescue(obj, uid, as_json)


@junk_group.command("move")
@click.argument("conversation_id")
@pass_ctx
def junk_move(obj: CliContext, conversation_id: str) -> None:
    """Move a conversation's customer messages from the inbox to Junk, flagged $Junk."""
    _junk_move(obj, conversation_id)


# The spam-folder check under its own name (listed: the name a cron line uses), and the
# earlier name of 'junk move' (hidden); every new word of the Junk commands goes to the group.
@cli.command("spam-check")
@_JSON_SUSPECTS
@_ALL_SUSPECTS
@click.option("--rescue", "rescue_uid", type=int, metavar="ID", help="As 'junk rescue ID'.")
@pass_ctx
def spam_check(obj: CliContext, as_json: bool, include_all: bool, rescue_uid: int | None) -> None:
    """The spam-folder check, for cron: as 'junk list' (--rescue ID: as 'junk rescue ID')."""
    if rescue_uid is not None:
        _junk_rescue(obj, rescue_uid, as_json)
    else:
        _junk_list(obj, as_json, include_all)


@cli.command("spam", hidden=True)
@click.argument("conversation_id")
@pass_ctx
def spam(obj: CliContext, conversation_id: str) -> None:
    """Earlier name of 'junk move ID', kept for scripts."""
    _junk_move(obj, conversation_id)


__all__ = [
    "junk_group",
    "list_command",
    "parse_snooze",
    "search",
    "show",
    "snooze",
    "spam",
    "spam_check",
    "status",
]
