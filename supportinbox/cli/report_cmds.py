"""``report``, ``report topics`` and ``sla --check``: how support is going, from the cache."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import click
from rich.table import Table
from rich.text import Text

from supportinbox.cli.app import CliContext, cli, exit_codes_epilog, pass_ctx
from supportinbox.cli.output import verdict_stands
from supportinbox.cli.triage_cmds import _console, _echo_json
from supportinbox.config import Duration
from supportinbox.domain import sla
from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.report import (
    GROUPINGS,
    Grouping,
    Report,
    format_seconds,
    percent_text,
    summary_lines,
    table_cells,
)
from supportinbox.domain.safetext import field, one_line
from supportinbox.errors import UsageProblem, UserError
from supportinbox.store import conversations as store
from supportinbox.store.db import Database
from supportinbox.store.report import make_report, make_topics

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _span(text: str) -> timedelta:
    try:
        return Duration.read(text)
    except ValueError as exc:
        raise UsageProblem(f"--since: {exc}") from None


def _csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            report.grouping,
            "new_conversations",
            "messages_in",
            "replies_out",
            "closed",
            "first_reply_median_s",
            "first_reply_p90_s",
            "first_reply_business_median_s",
            "first_reply_business_p90_s",
            "resolution_median_s",
            "resolution_business_median_s",
            "sla_met",
            "sla_due",
            "backlog",
        ]
    )
    for row in report.rows:
        frt, res = row.first_response, row.resolution
        figures = (
            frt.median,
            frt.p90,
            frt.business_median,
            frt.business_p90,
            res.median,
            res.business_median,
        )
        writer.writerow(
            [
                # A leading = + - @ would be a formula in a spreadsheet; names come from mail.
                ("'" + row.key) if row.key[:1] in "=+-@" else row.key,
                row.new_conversations,
                row.messages_in,
                row.replies_out,
                row.closed,
                *("" if f is None else round(f) for f in figures),
                row.sla.met,
                row.sla.due,
                "" if row.backlog is None else row.backlog,
            ]
        )
    return out.getvalue()


def _bars(counts: list[int], labels: list[str], width: int = 30) -> Text:
    top = max(counts) or 1
    text = Text()
    for label, count in zip(labels, counts, strict=True):
        text.append(f"  {label:>5} ")
        text.append("█" * round(width * count / top), style="cyan")
        text.append(f" {count}\n")
    return text


def _print(report: Report, policy: sla.Policy, since_text: str) -> None:
    console = _console()
    zone = report.zone
    hours = "business hours" if report.business_hours else "every hour counts (no [accounts.X.hours])"
    head = Text(f"Support report · last {since_text}", style="bold")
    head.append(
        f"\n{report.since.astimezone(policy.calendar.zone):%Y-%m-%d %H:%M} – "
        f"{report.until.astimezone(policy.calendar.zone):%Y-%m-%d %H:%M} {zone} · {hours}",
        style="dim",
    )
    console.print(head)
    for label, text in summary_lines(report, policy):
        line = Text(f"{label:<12}", style="bold")
        line.append(text)
        console.print(line)
    table = Table(title=f"by {report.grouping}", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column(report.grouping, min_width=10)
    shown = [r for r in report.rows if r.messages_in or r.replies_out or r.closed or r.backlog]
    headers, cells = table_cells(report, shown)
    for header in headers:
        # A header or a time of two words may wrap ("1h" over "11m"); a count never does.
        table.add_column(header, justify="right", no_wrap=" " not in header)
    for row, figures in zip(shown, cells, strict=True):
        table.add_row(Text(field(row.key, limit=30)), *figures)
    if console.measure(table, options=console.options.update_width(10_000)).maximum > console.width:
        # Ten columns are wider than 80 with spaces around each cell: the rules between
        # them are enough there, and every figure stays whole (Rich would cut "1h 1…").
        table.padding = (0, 0)
    console.print()
    console.print(table if shown else Text("Nothing happened in this period.", style="dim"))
    if report.grouping != "agent" and report.agents:
        agents = Table(title="by agent", title_justify="left", show_edge=False, pad_edge=False)
        agents.add_column("agent", no_wrap=True)
        for header in ("replies", "closed", "1st reply median", "SLA met"):
            agents.add_column(header, justify="right")
        for row in report.agents:
            frt = row.first_response
            agents.add_row(
                Text(field(row.key, limit=30)),
                str(row.replies_out),
                str(row.closed),
                format_seconds(frt.business_median if report.business_hours else frt.median),
                percent_text(row.sla.percent),
            )
        console.print()
        console.print(agents)
    if sum(report.busiest_hours):
        ranked = sorted(range(24), key=lambda h: -report.busiest_hours[h])[:5]
        console.print(Text(f"\nBusiest hours ({zone}), customer messages", style="bold"))
        console.print(_bars([report.busiest_hours[h] for h in ranked], [f"{h:02d}:00" for h in ranked]))
        console.print(Text("By weekday", style="bold"))
        console.print(_bars(report.busiest_weekdays, list(WEEKDAY_NAMES)))
    if report.totals.first_response.count:
        console.print(
            Text(
                "First reply times (business)" if report.business_hours else "First reply times", style="bold"
            )
        )
        console.print(
            _bars([c for _, c in report.response_bins], [label for label, _ in report.response_bins])
        )


@cli.group("report", invoke_without_command=True)
@click.option(
    "--since", "since_text", default="30d", show_default=True, help="How far back: 7d, 4w, 365d, 12h."
)
@click.option("--by", "grouping", type=click.Choice(GROUPINGS), default="day", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option(
    "--csv", "as_csv", is_flag=True, help="Print the table (one row per day/week/agent/tag) as CSV."
)
@click.pass_context
def report_command(
    click_ctx: click.Context, since_text: str, grouping: Grouping, as_json: bool, as_csv: bool
) -> None:
    """How support is going: volume, first reply and resolution times, SLA, backlog, agents.

    Times are medians and 90th percentiles, in wall time and in business time when the
    account has [accounts.X.hours].
    """
    if click_ctx.invoked_subcommand is not None:
        return
    if as_json and as_csv:
        raise UsageProblem("--json and --csv exclude each other: pick one")
    obj: CliContext = click_ctx.obj
    _, account = obj.account()
    db = obj.db()
    store.refresh_if_stale(db, obj.config, account)
    report = make_report(db, obj.config, account, since=_span(since_text), grouping=grouping)
    if as_json:
        _echo_json(report.to_json())
    elif as_csv:
        click.echo(_csv(report), nl=False)
    else:
        _print(report, sla.Policy.for_account(obj.config, account), since_text)


@report_command.command("topics")
@click.option(
    "--since", "since_text", default="30d", show_default=True, help="This period, against the one before."
)
@click.option("--limit", type=click.IntRange(min=1), default=15, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def topics_command(obj: CliContext, since_text: str, limit: int, as_json: bool) -> None:
    """Words and phrases that grew most among customer questions: what the docs may miss.

    Each topic counts the customers who mention it (once each, however often they wrote).
    """
    _, account = obj.account()
    topics = make_topics(obj.db(), account, since=_span(since_text), limit=limit)
    if as_json:
        _echo_json([t.to_json() for t in topics])
        return
    console = _console()
    if not topics:
        console.print(Text(f"No topic grew in the last {since_text}.", style="dim"))
        return
    table = Table(
        show_edge=False, pad_edge=False, title=f"Grew in the last {since_text}", title_justify="left"
    )
    table.add_column("topic")
    table.add_column("customers", justify="right")
    table.add_column("before", justify="right")
    for topic in topics:
        table.add_row(Text(field(topic.phrase, limit=60)), str(topic.now), str(topic.before))
    console.print(table)


EXIT_BREACHED = 10
EXIT_NEARLY_BREACHED = 11


@cli.command(
    "sla",
    epilog=exit_codes_epilog(
        (0, 1, 2, 6, EXIT_BREACHED, EXIT_NEARLY_BREACHED, 70, 130),
        {
            0: "done; with --check: nobody waits past a target",
            1: "with --check: no verdict, the account was never synced",
            EXIT_BREACHED: "with --check: at least one conversation waits past its target",
            EXIT_NEARLY_BREACHED: "with --check --warn: none past a target, some close to it",
        },
    ),
)
@click.option("--check", is_flag=True, help="List breached conversations; exit 10 if there is any.")
@click.option(
    "--warn", is_flag=True, help="With --check: also those close to breaching (exit 11 if only those)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON: the targets, or with --check the conversations."
)
@pass_ctx
def sla_command(obj: CliContext, check: bool, warn: bool, as_json: bool) -> None:
    """The SLA targets in force, or (--check, for cron) who waits past them: the exit code
    says it (below).

    With --check it reads the cache: no verdict (1) when the account was never synced, and a
    last sync older than the shortest first-reply target is warned about on stderr.
    """
    _, account = obj.account()
    policy = sla.Policy.for_account(obj.config, account)
    if not check:
        if warn:
            raise UsageProblem("--warn goes with --check")
        if as_json:
            _echo_json(_policy_json(policy, account.hours is not None))
        else:
            _print_policy(policy, account.hours is not None)
        return
    db = obj.db()
    _cache_fresh_enough(obj, db, policy)
    store.refresh_if_stale(db, obj.config, account)
    rows = store.sla_watch(db, warnings=warn)
    breached = [r for r in rows if r.sla_level == sla.LEVEL_BREACHED]
    with verdict_stands():
        _print_sla_check(rows, warn, as_json)
    if breached:
        raise SystemExit(EXIT_BREACHED)
    if rows:
        raise SystemExit(EXIT_NEARLY_BREACHED)


def _cache_fresh_enough(obj: CliContext, db: Database, policy: sla.Policy) -> None:
    """What the check cannot see: a mailbox never synced is an error (no verdict), a cache older
    than the shortest first-reply target a warning (mail since then is not checked). From cron,
    a sync that stopped working must not look like a quiet queue."""
    from supportinbox.domain.when import parse_time, when_words
    from supportinbox.store.messages import last_synced

    synced = parse_time(last_synced(db.conn))
    if synced is None:
        name, _ = obj.account()
        raise UserError(
            f"account '{name}' was never synced: there is nothing to check yet; "
            "'supportinbox sync' fetches its mail"
        )
    shortest = min(policy.base.first_reply, policy.base.over(policy.vip).first_reply)
    age = datetime.now(UTC) - synced
    if age > shortest:
        click.echo(
            f"supportinbox: warning: the cache was last synced {format_seconds(age.total_seconds())} ago "
            f"({when_words(synced)}): mail since then is not checked; is "
            "'supportinbox sync' failing?",
            err=True,
        )


def _print_sla_check(rows: list[ConversationSummary], warn: bool, as_json: bool) -> None:
    """Who waits past a target (or, with ``warn``, close to one), one line each or as JSON."""
    if as_json:
        # "assigned_to" (null: nobody) is who holds it, as in ``list --json``.
        _echo_json([{**r.to_json(), "sla": sla.level_label(r.sla_level)} for r in rows])
    else:
        for row in rows:
            why = one_line(row.reasons[0]) if row.reasons else ""
            line = f"{row.id}  {sla.level_label(row.sla_level):<9} {why}"
            # Whose it is, so a lead reading this from cron knows whom to ask.
            holder = one_line(row.assigned_to, limit=30) if row.assigned_to else "nobody"
            who = field(row.customer_name or row.customer_email, limit=30)
            subject = field(row.subject, limit=60) or "(no subject)"
            click.echo(f"{line}  held by {holder}  {who}: {subject}")
        if not rows:
            click.echo("Nobody waits past an SLA target" + (" or close to one." if warn else "."))


def _policy_json(policy: sla.Policy, business: bool) -> dict[str, object]:
    """The targets in force as ``sla`` prints them, in seconds (``None``: no target)."""

    def seconds(targets: sla.Targets) -> dict[str, float | None]:
        return {
            "first_reply": targets.first_reply.total_seconds(),
            "next_reply": targets.next_reply.total_seconds(),
            "resolution": targets.resolution.total_seconds() if targets.resolution is not None else None,
        }

    return {
        "targets": seconds(policy.base),
        "business_hours": business,
        "vip_senders": list(policy.vip_senders),
        "vip": seconds(policy.base.over(policy.vip)) if policy.vip_senders else None,
        "tags": {tag: seconds(policy.base.over(policy.tags[tag])) for tag in sorted(policy.tags)},
        "warn_fraction": policy.warn_fraction,
        "queue_lift_after": policy.base.first_reply_guard.total_seconds(),
    }


def _print_policy(policy: sla.Policy, business: bool) -> None:
    def show(targets: sla.Targets) -> str:
        parts = [
            f"first reply {format_seconds(targets.first_reply.total_seconds())}",
            f"next reply {format_seconds(targets.next_reply.total_seconds())}",
        ]
        if targets.resolution is not None:
            parts.append(f"resolution {format_seconds(targets.resolution.total_seconds())}")
        return ", ".join(parts)

    click.echo(f"targets: {show(policy.base)} ({'business hours' if business else 'every hour counts'})")
    if policy.vip_senders:
        vips = ", ".join(one_line(v) for v in policy.vip_senders)
        click.echo(f"VIP ({vips}): {show(policy.base.over(policy.vip))}")
    for tag in sorted(policy.tags):
        click.echo(f"tag {one_line(tag)}: {show(policy.base.over(policy.tags[tag]))}")
    click.echo(f"warning at {round(policy.warn_fraction * 100)} % of a target")
    guard = format_seconds(policy.base.first_reply_guard.total_seconds())
    click.echo(
        f"queue: a conversation nobody has answered is lifted into the SLA band after {guard}; "
        "a late first reply is marked before that, not moved"
    )
