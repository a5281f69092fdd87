"""How support is going: volumes, response and resolution times, SLA, backlog (pure).

Input is the support facts (customer messages, replies, closes, reopens) of each
conversation, oldest first. Each conversation is walked once:

* a **wait** starts at a customer message when nobody waits yet, and ends at our next
  reply (or a close, which answers nothing and counts for no reply target). The first
  wait of a conversation is measured against the first-reply target and gives the
  **first response time**; later ones against the next-reply target;
* a **resolution** runs from the first customer message (after a reopen: from the
  reopen) to the close; **replies per resolution** counts our replies in it;
* the **backlog** at a moment is the number of waits in progress then.

Where a figure belongs: volumes and closes to the time they happened, waits (first
response, SLA) to the customer message that started them, resolutions to the close.
A wait still in progress counts against its SLA once its deadline has passed.
Percentiles are nearest-rank: p90 of ten values is the ninth smallest.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Literal

from supportinbox.domain import sla

Grouping = Literal["day", "week", "agent", "tag"]
GROUPINGS: tuple[Grouping, ...] = ("day", "week", "agent", "tag")
OTHER_CLIENT = "(other client)"
NO_TAG = "(no tag)"
# Upper bounds (business seconds) of the first-response distribution's bars.
RESPONSE_BINS: tuple[tuple[str, float], ...] = (
    ("<15m", 15 * 60),
    ("<30m", 30 * 60),
    ("<1h", 3600),
    ("<4h", 4 * 3600),
    ("<1d", 86400),
    ("<3d", 3 * 86400),
    ("3d+", math.inf),
)


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # customer | reply | closed | reopened (store.facts)
    at: datetime
    agent: str = ""


@dataclass(frozen=True)
class ConversationFacts:
    id: str
    customer: str
    events: Sequence[Event]  # oldest first
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Wait:
    conversation: str
    start: datetime
    end: datetime | None
    first: bool
    agent: str  # who answered ('' while waiting)
    target: timedelta
    answered: bool


@dataclass(frozen=True, slots=True)
class _Resolution:
    start: datetime
    end: datetime
    replies: int
    agent: str
    target: timedelta | None


@dataclass(frozen=True)
class Durations:
    """Median and p90 of some durations, in wall and business seconds."""

    count: int = 0
    median: float | None = None
    p90: float | None = None
    business_median: float | None = None
    business_p90: float | None = None

    @classmethod
    def of(cls, wall: Sequence[float], business: Sequence[float]) -> Durations:
        if not wall:
            return cls()
        return cls(len(wall), _median(wall), _p90(wall), _median(business), _p90(business))

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "median_seconds": self.median,
            "p90_seconds": self.p90,
            "business_median_seconds": self.business_median,
            "business_p90_seconds": self.business_p90,
        }


@dataclass(frozen=True)
class Rate:
    met: int = 0
    due: int = 0

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.due, 1) if self.due else None

    def to_json(self) -> dict[str, Any]:
        return {"met": self.met, "due": self.due, "percent": self.percent}


@dataclass(frozen=True)
class Row:
    """One line of the report table: a day, a week, an agent or a tag."""

    key: str
    new_conversations: int = 0
    messages_in: int = 0
    replies_out: int = 0
    closed: int = 0
    first_response: Durations = field(default_factory=Durations)
    resolution: Durations = field(default_factory=Durations)
    sla: Rate = field(default_factory=Rate)
    backlog: int | None = None  # waiting at the end of a day or week

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "new_conversations": self.new_conversations,
            "messages_in": self.messages_in,
            "replies_out": self.replies_out,
            "closed": self.closed,
            "first_response": self.first_response.to_json(),
            "resolution": self.resolution.to_json(),
            "sla": self.sla.to_json(),
            "backlog": self.backlog,
        }


@dataclass(frozen=True)
class Report:
    since: datetime
    until: datetime
    zone: str
    grouping: Grouping
    business_hours: bool
    totals: Row
    replies_per_resolution: float | None
    sla_first_reply: Rate
    sla_next_reply: Rate
    sla_resolution: Rate
    reopened: int
    backlog_now: int
    rows: list[Row]
    agents: list[Row]
    days: list[Row]  # per day, for charts, whatever the grouping
    response_bins: list[tuple[str, int]]
    busiest_hours: list[int]  # customer messages per local hour 0-23
    busiest_weekdays: list[int]  # Monday first

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(timespec="seconds"),
            "until": self.until.isoformat(timespec="seconds"),
            "time_zone": self.zone,
            "grouping": self.grouping,
            "business_hours": self.business_hours,
            "totals": self.totals.to_json(),
            "replies_per_resolution": self.replies_per_resolution,
            "sla": {
                "first_reply": self.sla_first_reply.to_json(),
                "next_reply": self.sla_next_reply.to_json(),
                "resolution": self.sla_resolution.to_json(),
            },
            "reopened": self.reopened,
            "backlog_now": self.backlog_now,
            "rows": [r.to_json() for r in self.rows],
            "agents": [r.to_json() for r in self.agents],
            "first_response_distribution": dict(self.response_bins),
            "busiest_hours": self.busiest_hours,
            "busiest_weekdays": self.busiest_weekdays,
        }


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)])


def _walk(facts: ConversationFacts, targets: sla.Targets) -> tuple[list[_Wait], list[_Resolution], int]:
    """The waits, resolutions and reopen count of one conversation."""
    waits: list[_Wait] = []
    resolutions: list[_Resolution] = []
    reopened = 0
    waiting_since: datetime | None = None
    answered_once = False
    cycle_start: datetime | None = None
    cycle_replies = 0
    first_wait = True
    for event in facts.events:
        if event.kind == "customer":
            if cycle_start is None:
                cycle_start = event.at
                cycle_replies = 0
            if waiting_since is None:
                waiting_since = event.at
                first_wait = not answered_once
        elif event.kind == "reply":
            if waiting_since is not None:
                target = targets.first_reply if first_wait else targets.next_reply
                waits.append(
                    _Wait(facts.id, waiting_since, event.at, first_wait, event.agent, target, answered=True)
                )
                waiting_since = None
            answered_once = True
            if cycle_start is not None:
                cycle_replies += 1
        elif event.kind == "closed":
            if waiting_since is not None:
                target = targets.first_reply if first_wait else targets.next_reply
                waits.append(_Wait(facts.id, waiting_since, event.at, first_wait, "", target, answered=False))
                waiting_since = None
            if cycle_start is not None:
                resolutions.append(
                    _Resolution(cycle_start, event.at, cycle_replies, event.agent, targets.resolution)
                )
                cycle_start = None
        elif event.kind == "reopened":
            reopened += 1
            if cycle_start is None:
                cycle_start = event.at
                cycle_replies = 0
    if waiting_since is not None:
        target = targets.first_reply if first_wait else targets.next_reply
        waits.append(_Wait(facts.id, waiting_since, None, first_wait, "", target, answered=False))
    return waits, resolutions, reopened


@dataclass
class _Bucket:
    new: int = 0
    messages_in: int = 0
    replies_out: int = 0
    closed: int = 0
    frt_wall: list[float] = field(default_factory=list)
    frt_business: list[float] = field(default_factory=list)
    res_wall: list[float] = field(default_factory=list)
    res_business: list[float] = field(default_factory=list)
    met: int = 0
    due: int = 0

    def row(self, key: str, backlog: int | None = None) -> Row:
        return Row(
            key=key,
            new_conversations=self.new,
            messages_in=self.messages_in,
            replies_out=self.replies_out,
            closed=self.closed,
            first_response=Durations.of(self.frt_wall, self.frt_business),
            resolution=Durations.of(self.res_wall, self.res_business),
            sla=Rate(self.met, self.due),
            backlog=backlog,
        )


def build_report(
    conversations: Iterable[ConversationFacts],
    policy: sla.Policy,
    *,
    since: datetime,
    until: datetime,
    grouping: Grouping = "day",
    zone: tzinfo | None = None,
) -> Report:
    """The report of everything that happened from ``since`` to ``until`` (the present)."""
    zone = zone or policy.calendar.zone
    cal = policy.calendar

    def inside(moment: datetime) -> bool:
        return since <= moment < until

    def day_of(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    def time_key(moment: datetime) -> str:
        day = day_of(moment)
        if grouping == "week":
            return (day - timedelta(days=day.weekday())).isoformat()
        return day.isoformat()

    totals = _Bucket()
    by_day: dict[str, _Bucket] = defaultdict(_Bucket)
    by_group: dict[str, _Bucket] = defaultdict(_Bucket)
    by_agent: dict[str, _Bucket] = defaultdict(_Bucket)
    starts: list[float] = []
    ends: list[float] = []
    first_rate, next_rate, res_rate = [0, 0], [0, 0], [0, 0]
    replies_in_resolutions: list[int] = []
    bins = [0] * len(RESPONSE_BINS)
    hours = [0] * 24
    weekdays = [0] * 7
    reopened = 0

    def groups(facts: ConversationFacts, moment: datetime, agent: str | None = None) -> list[_Bucket]:
        """The buckets a figure about ``facts`` at ``moment`` adds to (totals first)."""
        out = [totals, by_day[day_of(moment).isoformat()]]
        if grouping in ("day", "week"):
            out.append(by_group[time_key(moment)])
        elif grouping == "tag":
            out.extend(by_group[tag] for tag in (facts.tags or (NO_TAG,)))
        elif grouping == "agent" and agent is not None:
            out.append(by_group[agent or OTHER_CLIENT])
        if agent is not None:
            out.append(by_agent[agent or OTHER_CLIENT])
        return out

    for facts in conversations:
        targets = policy.targets(facts.customer, facts.tags)
        first_customer = True
        for event in facts.events:
            if not inside(event.at):
                if event.kind == "customer":
                    first_customer = False
                continue
            if event.kind == "customer":
                local = event.at.astimezone(zone)
                hours[local.hour] += 1
                weekdays[local.weekday()] += 1
                for bucket in groups(facts, event.at):
                    bucket.messages_in += 1
                    bucket.new += first_customer
                first_customer = False
            elif event.kind == "reply":
                for bucket in groups(facts, event.at, event.agent):
                    bucket.replies_out += 1
            elif event.kind == "closed":
                for bucket in groups(facts, event.at, event.agent):
                    bucket.closed += 1
            elif event.kind == "reopened":
                reopened += 1
        waits, resolutions, _ = _walk(facts, targets)
        for wait in waits:
            starts.append(wait.start.timestamp())
            if wait.end is not None:
                ends.append(wait.end.timestamp())
            if not inside(wait.start):
                continue
            rate = first_rate if wait.first else next_rate
            end = wait.end if wait.answered else None
            if end is not None:
                met = policy.met(wait.start, end, wait.target)
            elif wait.end is None and policy.due(wait.start, wait.target)[1] <= until:
                met = False  # still waiting, and past the deadline
            else:
                continue  # closed without a reply, or not yet due
            rate[0] += met
            rate[1] += 1
            for bucket in groups(facts, wait.start, wait.agent if wait.answered else None):
                bucket.met += met
                bucket.due += 1
            if wait.first and end is not None:
                wall = (end - wait.start).total_seconds()
                business = cal.seconds(wait.start, end)
                bins[next(i for i, (_, bound) in enumerate(RESPONSE_BINS) if business < bound)] += 1
                for bucket in groups(facts, wait.start, wait.agent):
                    bucket.frt_wall.append(wall)
                    bucket.frt_business.append(business)
        for resolution in resolutions:
            if not inside(resolution.end):
                continue
            replies_in_resolutions.append(resolution.replies)
            wall = (resolution.end - resolution.start).total_seconds()
            business = cal.seconds(resolution.start, resolution.end)
            if resolution.target is not None:
                res_rate[0] += business <= resolution.target.total_seconds()
                res_rate[1] += 1
            for bucket in groups(facts, resolution.end, resolution.agent):
                bucket.res_wall.append(wall)
                bucket.res_business.append(business)

    starts.sort()
    ends.sort()

    def backlog_at(moment: datetime) -> int:
        stamp = moment.timestamp()
        return bisect.bisect_right(starts, stamp) - bisect.bisect_right(ends, stamp)

    day_rows = []
    day = day_of(since)
    last = day_of(until - timedelta(microseconds=1))
    while day <= last:
        end_of_day = min(datetime.combine(day + timedelta(days=1), datetime.min.time(), zone), until)
        day_rows.append(by_day[day.isoformat()].row(day.isoformat(), backlog_at(end_of_day)))
        day += timedelta(days=1)

    if grouping == "day":
        rows = day_rows
    elif grouping == "week":
        rows = []
        for key in sorted(by_group):
            monday = date.fromisoformat(key)
            end = min(datetime.combine(monday + timedelta(days=7), datetime.min.time(), zone), until)
            rows.append(by_group[key].row(key, backlog_at(end)))
    else:
        rows = [
            by_group[key].row(key) for key in sorted(by_group, key=lambda k: (-by_group[k].replies_out, k))
        ]
    agents = [by_agent[key].row(key) for key in sorted(by_agent, key=lambda k: (-by_agent[k].replies_out, k))]
    return Report(
        since=since,
        until=until,
        zone=str(zone),
        grouping=grouping,
        business_hours=not cal.is_wall_time,
        totals=totals.row("total", backlog_at(until)),
        replies_per_resolution=round(statistics.fmean(replies_in_resolutions), 2)
        if replies_in_resolutions
        else None,
        sla_first_reply=Rate(*first_rate),
        sla_next_reply=Rate(*next_rate),
        sla_resolution=Rate(*res_rate),
        reopened=reopened,
        backlog_now=backlog_at(until),
        rows=rows,
        agents=agents,
        days=day_rows,
        response_bins=[(label, count) for (label, _), count in zip(RESPONSE_BINS, bins, strict=True)],
        busiest_hours=hours,
        busiest_weekdays=weekdays,
    )


def format_seconds(seconds: float | None) -> str:
    """``12m``, ``3h 05m``, ``2d 4h`` (``—`` when there is nothing to show)."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"


def group_facts(
    rows: Iterable[tuple[str, str, datetime, str, str]],
    tags: Callable[[str], tuple[str, ...]] | None = None,
) -> list[ConversationFacts]:
    """``(conversation, kind, at, agent, customer)`` rows, grouped by conversation, as facts.

    Rows of one conversation must be adjacent; within it they are put in time order (a
    customer message before the reply or close of the same second).
    """
    out: list[ConversationFacts] = []
    current: str | None = None
    customer = ""
    events: list[Event] = []
    order = {"customer": 0, "reopened": 1, "reply": 2, "closed": 3}

    def flush() -> None:
        if current is not None:
            events.sort(key=lambda e: (e.at, order.get(e.kind, 9)))
            out.append(ConversationFacts(current, customer, tuple(events), tags(current) if tags else ()))

    for conversation, kind, at, agent, who in rows:
        if conversation != current:
            flush()
            current, customer, events = conversation, "", []
        if who and not customer:
            customer = who
        events.append(Event(kind, at, agent))
    flush()
    return out


# --- as text (shared by the CLI and the TUI) ----------------------------------------------


def _pair(wall: float | None, business: float | None, with_business: bool) -> str:
    if not with_business:
        return format_seconds(wall)
    return f"{format_seconds(wall)} ({format_seconds(business)} business)"


def percent_text(value: float | None) -> str:
    """``83.3%`` (``—`` when nothing was due)."""
    return "—" if value is None else f"{value:g}%"


def summary_lines(report: Report, policy: sla.Policy) -> list[tuple[str, str]]:
    """The report's headline figures as (label, text) pairs, shared by the CLI and the TUI."""
    totals = report.totals
    biz = report.business_hours
    frt, res = totals.first_response, totals.resolution
    targets = policy.base
    resolution_target = (
        f", target {format_seconds(targets.resolution.total_seconds())}" if targets.resolution else ""
    )
    per = (
        f" · replies per resolution {report.replies_per_resolution:g}"
        if report.replies_per_resolution
        else ""
    )
    first, later, resolved = report.sla_first_reply, report.sla_next_reply, report.sla_resolution
    first_target = format_seconds(targets.first_reply.total_seconds())
    next_target = format_seconds(targets.next_reply.total_seconds())
    return [
        (
            "Volume",
            f"{totals.messages_in} messages in, {totals.new_conversations} new conversations · "
            f"{totals.replies_out} replies out · {totals.closed} closed, {report.reopened} reopened",
        ),
        (
            "First reply",
            f"median {_pair(frt.median, frt.business_median, biz)} · "
            f"p90 {_pair(frt.p90, frt.business_p90, biz)} · {frt.count} answered",
        ),
        (
            "Resolution",
            f"median {_pair(res.median, res.business_median, biz)} · "
            f"p90 {_pair(res.p90, res.business_p90, biz)} · {res.count} resolved{per}",
        ),
        (
            "SLA met",
            f"first reply {percent_text(first.percent)} ({first.met}/{first.due}, target {first_target}) · "
            f"next reply {percent_text(later.percent)} ({later.met}/{later.due}, target {next_target})"
            f" · resolution {percent_text(resolved.percent)} "
            f"({resolved.met}/{resolved.due}{resolution_target})",
        ),
        ("Backlog", f"{report.backlog_now} waiting for a reply now"),
    ]


ROW_HEADERS = (
    "new",
    "in",
    "out",
    "closed",
    "1st reply median",
    "1st reply p90",
    "resolution median",
    "SLA met",
    "backlog",
)


def row_cells(row: Row, business: bool) -> list[str]:
    """One table row as text: business-time figures when business hours are set."""
    frt, res = row.first_response, row.resolution
    return [
        str(row.new_conversations),
        str(row.messages_in),
        str(row.replies_out),
        str(row.closed),
        format_seconds(frt.business_median if business else frt.median),
        format_seconds(frt.business_p90 if business else frt.p90),
        format_seconds(res.business_median if business else res.median),
        percent_text(row.sla.percent),
        "" if row.backlog is None else str(row.backlog),
    ]
