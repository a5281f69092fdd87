"""How support is going: volumes, response and resolution times, SLA, backlog (pure).

Input is the support facts (customer messages, replies, closes, reopens) of each
conversation, oldest first. Each conversation is walked once:

* a **wait** starts at a customer message when nobody waits yet, and ends at our next
  reply (or a close, which answers nothing and counts for no reply target; or the
  customer's mail going from the server, which answers and closes nothing). The first
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
import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from supportinbox.domain import sla
from supportinbox.domain.when import duration

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


# One fact as the store gives it: (conversation, kind, POSIX seconds, agent, customer).
# kind is customer | reply | closed | reopened | gone (store.facts). Plain tuples and numbers,
# so a year of facts streams through without an object per fact.
FactRow = tuple[str, str, float, str, str]


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
    # ``None`` on an agent's row: customers write to the team, not to one agent.
    new_conversations: int | None = 0
    messages_in: int | None = 0
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

    def row(self, key: str, backlog: int | None = None, customers: bool = True) -> Row:
        """The bucket as a table row (``customers=False``: an agent's, without customer figures)."""
        return Row(
            key=key,
            new_conversations=self.new if customers else None,
            messages_in=self.messages_in if customers else None,
            replies_out=self.replies_out,
            closed=self.closed,
            first_response=Durations.of(self.frt_wall, self.frt_business),
            resolution=Durations.of(self.res_wall, self.res_business),
            sla=Rate(self.met, self.due),
            backlog=backlog,
        )


def _merge(buckets: Iterable[_Bucket]) -> _Bucket:
    out = _Bucket()
    for bucket in buckets:
        out.new += bucket.new
        out.messages_in += bucket.messages_in
        out.replies_out += bucket.replies_out
        out.closed += bucket.closed
        out.frt_wall += bucket.frt_wall
        out.frt_business += bucket.frt_business
        out.res_wall += bucket.res_wall
        out.res_business += bucket.res_business
        out.met += bucket.met
        out.due += bucket.due
    return out


class _Tally:
    """Everything a report adds up: per local day, per agent, per agent or tag, rates."""

    def __init__(self, policy: sla.Policy, start: float, end: float, grouping: Grouping) -> None:
        cal = policy.calendar
        self.cal, self.start, self.end, self.grouping = cal, start, end, grouping
        self.first_day = cal.day_index(start)
        count = cal.day_index(end - 1e-6) - self.first_day + 1
        self.days = [_Bucket() for _ in range(count)]
        # Local midnights from the first day of the window to after its last: a day is one bisect.
        self.midnights = [cal.midnight(self.first_day + i) for i in range(count + 1)]
        self.by_key: dict[str, _Bucket] = defaultdict(_Bucket)  # agent or tag grouping
        self.by_agent: dict[str, _Bucket] = defaultdict(_Bucket)
        self.wait_starts: list[float] = []
        self.wait_ends: list[float] = []
        self.rates = {"first": [0, 0], "next": [0, 0], "resolution": [0, 0]}
        self.replies_in_resolutions: list[int] = []
        self.bins = [0] * len(RESPONSE_BINS)
        self.bounds = [bound for _, bound in RESPONSE_BINS]
        self.hours = [0] * 24
        self.weekdays = [0] * 7
        self.reopened = 0

    def day(self, stamp: float) -> _Bucket:
        return self.days[bisect.bisect_right(self.midnights, stamp) - 1]

    def answer(self, replied: bool, stamp: float, tags: tuple[str, ...], agent: str, extra: bool) -> None:
        """Count a reply (or a close) on its day and for its agent (``extra``: its tag and agent rows)."""
        buckets = self.keyed(tags, agent) if extra else (self.by_agent[agent or OTHER_CLIENT],)
        for bucket in (self.day(stamp), *buckets):
            if replied:
                bucket.replies_out += 1
            else:
                bucket.closed += 1

    def keyed(self, tags: tuple[str, ...], agent: str | None) -> list[_Bucket]:
        """The agent and grouping buckets a figure adds to, besides its day."""
        out = []
        if agent is not None:
            name = agent or OTHER_CLIENT
            out.append(self.by_agent[name])
            if self.grouping == "agent":
                out.append(self.by_key[name])
        if self.grouping == "tag":
            out.extend(self.by_key[tag] for tag in (tags or (NO_TAG,)))
        return out

    def wait(
        self,
        tags: tuple[str, ...],
        began: float,
        ended: float | None,
        answer: str | None,
        first: bool,
        target: float,
    ) -> None:
        """A wait from ``began`` to ``ended`` (None: still waiting), answered by ``answer`` (None: closed)."""
        self.wait_starts.append(began)
        if ended is not None:
            self.wait_ends.append(ended)
        if not self.start <= began < self.end:
            return
        if answer is not None and ended is not None:
            business = self.cal.stamp_seconds(began, ended)
            met = business <= target
        elif ended is None and self.cal.stamp_seconds(began, self.end) > target:
            met = False  # still waiting, and past the deadline
        else:
            return  # closed without a reply, or not yet due
        rate = self.rates["first" if first else "next"]
        rate[0] += met
        rate[1] += 1
        buckets = [self.day(began), *self.keyed(tags, answer)]
        for bucket in buckets:
            bucket.met += met
            bucket.due += 1
        if first and answer is not None and ended is not None:
            wall = ended - began
            self.bins[bisect.bisect_right(self.bounds, business)] += 1
            for bucket in buckets:
                bucket.frt_wall.append(wall)
                bucket.frt_business.append(business)

    def resolution(
        self,
        tags: tuple[str, ...],
        began: float,
        ended: float,
        replies: int,
        agent: str,
        target: float | None,
    ) -> None:
        if not self.start <= ended < self.end:
            return
        self.replies_in_resolutions.append(replies)
        wall = ended - began
        business = self.cal.stamp_seconds(began, ended)
        if target is not None:
            rate = self.rates["resolution"]
            rate[0] += business <= target
            rate[1] += 1
        for bucket in (self.day(ended), *self.keyed(tags, agent)):
            bucket.res_wall.append(wall)
            bucket.res_business.append(business)


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def build_report(
    rows: Iterable[FactRow],
    policy: sla.Policy,
    *,
    since: datetime,
    until: datetime,
    grouping: Grouping = "day",
    tags: Callable[[str], tuple[str, ...]] | None = None,
) -> Report:
    """The report of everything that happened from ``since`` to ``until`` (the present).

    ``rows`` are the facts by conversation, then time (a customer message before the
    reply or close of the same second), as :data:`FactRow`. Each conversation is walked
    once, as the rows stream by. Days are the local days of the policy's calendar;
    weeks and totals are sums of days.
    """
    start, end = since.timestamp(), until.timestamp()
    tally = _Tally(policy, start, end, grouping)
    zone = policy.calendar.zone
    current: str | None = None
    customer = ""
    labels: tuple[str, ...] = ()
    waiting_since: float | None = None
    first_wait = answered_once = first_customer = True
    cycle_start: float | None = None
    cycle_replies = 0

    days, midnights, find = tally.days, tally.midnights, bisect.bisect_right
    extra = grouping in ("agent", "tag")  # figures also go to the table's agent or tag rows

    first_target = next_target = 0.0
    resolution_target: float | None = None

    for conversation, kind, at, agent, who in itertools.chain(rows, [("", "", 0.0, "", "")]):
        if conversation != current:
            if current is not None and waiting_since is not None:
                aim = first_target if first_wait else next_target
                tally.wait(labels, waiting_since, None, None, first_wait, aim)
            if not conversation:
                break
            current, customer = conversation, who
            labels = tags(conversation) if tags else ()
            # A conversation's customer writes its first fact (one we start has none: no VIP).
            targets = policy.targets(customer, labels)
            first_target, next_target = (
                targets.first_reply.total_seconds(),
                targets.next_reply.total_seconds(),
            )
            resolution_target = _seconds(targets.resolution)
            waiting_since = cycle_start = None
            answered_once, first_wait, first_customer, cycle_replies = False, True, True, 0
        inside = start <= at < end
        if kind == "customer":
            if inside:
                local = datetime.fromtimestamp(at, zone)
                tally.hours[local.hour] += 1
                tally.weekdays[local.weekday()] += 1
                day = days[find(midnights, at) - 1]
                for bucket in (day, *tally.keyed(labels, None)) if extra else (day,):
                    bucket.messages_in += 1
                    bucket.new += first_customer
            first_customer = False
            if cycle_start is None:
                cycle_start, cycle_replies = at, 0
            if waiting_since is None:
                waiting_since, first_wait = at, not answered_once
        elif kind in ("reply", "closed"):
            replied = kind == "reply"
            if inside:
                tally.answer(replied, at, labels, agent, extra)
            if waiting_since is not None:
                # A reply ends the customer's wait for its agent; a close ends it for nobody.
                aim = first_target if first_wait else next_target
                tally.wait(labels, waiting_since, at, agent if replied else None, first_wait, aim)
                waiting_since = None
            if replied:
                answered_once = True
                if cycle_start is not None:
                    cycle_replies += 1
            elif cycle_start is not None:
                tally.resolution(labels, cycle_start, at, cycle_replies, agent, resolution_target)
                cycle_start = None
        elif kind == "gone":
            # The customer's mail was deleted on the server: nobody waits, nothing resolved.
            if waiting_since is not None:
                aim = first_target if first_wait else next_target
                tally.wait(labels, waiting_since, at, None, first_wait, aim)
                waiting_since = None
            cycle_start = None
        elif kind == "reopened":
            tally.reopened += inside
            if cycle_start is None:
                cycle_start, cycle_replies = at, 0
    return _finish(tally, since, until, grouping)


def _finish(tally: _Tally, since: datetime, until: datetime, grouping: Grouping) -> Report:
    cal, days, end = tally.cal, tally.days, tally.end
    starts, ends = sorted(tally.wait_starts), sorted(tally.wait_ends)

    def backlog_at(stamp: float) -> int:
        return bisect.bisect_right(starts, stamp) - bisect.bisect_right(ends, stamp)

    def day_end(index: int) -> float:
        return min(tally.midnights[index + 1], end)

    def label(index: int) -> date:
        return cal.day_of_index(tally.first_day + index)

    day_rows = [bucket.row(label(i).isoformat(), backlog_at(day_end(i))) for i, bucket in enumerate(days)]
    if grouping == "day":
        rows = day_rows
    elif grouping == "week":
        weeks: dict[date, list[int]] = defaultdict(list)
        for i in range(len(days)):
            weeks[label(i) - timedelta(days=label(i).weekday())].append(i)
        rows = [
            _merge(days[i] for i in members).row(monday.isoformat(), backlog_at(day_end(members[-1])))
            for monday, members in sorted(weeks.items())
        ]
    else:
        keyed = tally.by_key
        rows = [
            keyed[key].row(key, customers=grouping != "agent")
            for key in sorted(keyed, key=lambda k: (-keyed[k].replies_out, k))
        ]
    by_agent = tally.by_agent
    agents = [
        by_agent[key].row(key, customers=False)
        for key in sorted(by_agent, key=lambda k: (-by_agent[k].replies_out, k))
    ]
    replies = tally.replies_in_resolutions
    return Report(
        since=since,
        until=until,
        zone=str(cal.zone),
        grouping=grouping,
        business_hours=not cal.is_wall_time,
        totals=_merge(days).row("total", backlog_at(end)),
        replies_per_resolution=round(statistics.fmean(replies), 2) if replies else None,
        sla_first_reply=Rate(*tally.rates["first"]),
        sla_next_reply=Rate(*tally.rates["next"]),
        sla_resolution=Rate(*tally.rates["resolution"]),
        reopened=tally.reopened,
        backlog_now=backlog_at(end),
        rows=rows,
        agents=agents,
        days=day_rows,
        response_bins=[(name, count) for (name, _), count in zip(RESPONSE_BINS, tally.bins, strict=True)],
        busiest_hours=tally.hours,
        busiest_weekdays=tally.weekdays,
    )


def format_seconds(seconds: float | None) -> str:
    """:func:`~supportinbox.domain.when.duration` of ``seconds`` (``—`` when there is nothing to show)."""
    return "—" if seconds is None else duration(timedelta(seconds=seconds))


# --- as text (shared by the CLI and the TUI) ----------------------------------------------


def _pair(wall: float | None, business: float | None, with_business: bool) -> str:
    if not with_business:
        return format_seconds(wall)
    return f"{format_seconds(wall)} ({format_seconds(business)} business)"


def _count(number: int, word: str, plural: str = "") -> str:
    return f"{number} {word if number == 1 else plural or word + 's'}"


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
    each = report.replies_per_resolution
    per = f" · {each:g} {'reply' if each == 1 else 'replies'} per resolution" if each else ""
    first, later, resolved = report.sla_first_reply, report.sla_next_reply, report.sla_resolution
    first_target = format_seconds(targets.first_reply.total_seconds())
    next_target = format_seconds(targets.next_reply.total_seconds())
    return [
        (
            "Volume",
            f"{_count(totals.messages_in or 0, 'message')} in, "
            f"{_count(totals.new_conversations or 0, 'new conversation')} · "
            f"{_count(totals.replies_out, 'reply', 'replies')} out · {totals.closed} closed, "
            f"{report.reopened} reopened",
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


ROW_HEADERS = ("new", "in", "out", "closed", "1st reply", "1st p90", "resolved in", "SLA met", "backlog")


def table_cells(report: Report, rows: Sequence[Row]) -> tuple[list[str], list[list[str]]]:
    """The headers and cells of the report table for ``rows``, without a column that is
    empty in every row (the backlog by agent or tag, customer counts by agent): a blank
    column says nothing and takes width from the figures beside it."""
    cells = [row_cells(row, report.business_hours) for row in rows]
    kept = [i for i in range(len(ROW_HEADERS)) if any(line[i] for line in cells)]
    return [ROW_HEADERS[i] for i in kept], [[line[i] for i in kept] for line in cells]


def row_cells(row: Row, business: bool) -> list[str]:
    """One table row as text: business-time figures when business hours are set; a count
    the row does not have (customer messages on an agent's row) is blank."""
    frt, res = row.first_response, row.resolution
    return [
        "" if row.new_conversations is None else str(row.new_conversations),
        "" if row.messages_in is None else str(row.messages_in),
        str(row.replies_out),
        str(row.closed),
        format_seconds(frt.business_median if business else frt.median),
        format_seconds(frt.business_p90 if business else frt.p90),
        format_seconds(res.business_median if business else res.median),
        percent_text(row.sla.percent),
        "" if row.backlog is None else str(row.backlog),
    ]
