"""The SLA rule: bands, levels, deadlines and the queue order, in one place.

The queue is ordered in bands, then by time. Urgent and broad problems come first, then
the SLA guard, so a flood of old routine questions never hides an outage:

* :data:`BAND_INCIDENT` - several customers report the same problem in a short window;
* :data:`BAND_URGENT` - urgent wording, a VIP sender, a high-priority header, or two and
  more follow-ups without reply;
* :data:`BAND_BREACHED` and :data:`BAND_GUARD` - the starvation guard: the customer has
  waited past the guard deadline (below), or past ``sla_warn_fraction`` of it. The guard
  lifts a conversation to ``max(its own band, guard band)``: above everything normal,
  never below where its urgency already put it;
* :data:`BAND_NORMAL` - everything else that waits for us;
* :data:`BAND_IDLE` - not waiting for us (pending, snoozed, closed).

Within a band, conversations past their guard deadline come first, the longest-waiting
first; then ``order = "newest"`` puts the newest customer message first, so recent writers
get a reply while still at the keyboard, and ``"oldest"`` the longest-waiting first.
Urgency points only explain; the band decides.

Promise and guard. Each open conversation has two deadlines (:class:`Deadline`):

* the **promise**: the policy's target that falls due first (first reply, default 30
  minutes of business time; next reply, ``sla_hours``; resolution when set). It drives
  what is *said*: the SLA column and level, the reason line ("first reply overdue by
  2h 05m (target 30m)"), urgency points, ``sla --check`` and the reports' SLA figures;
* the **guard**: when the queue lifts the conversation above newer mail. It is the
  promise, except that a first reply is guarded no earlier than the next-reply target:
  a first reply half an hour late is an alarm, not a reason to turn a "newest first"
  queue into "oldest first" whenever a backlog builds up (every unanswered message
  would soon be past 30 minutes). Nobody starves either way: once a customer has
  waited as long as the reply SLA, or the resolution target, the guard lifts them.

The refresh computes these columns in Python; the clock step and the queue's ORDER BY
apply the same rule in SQL through the fragments defined here, next to the functions they
mirror (``tests/unit/test_sla.py`` checks that both agree).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from supportinbox.domain.when import duration

# Not typing.TYPE_CHECKING (see store/triage_fresh.py): the SLA's levels and SQL, which
# reading the queue needs, load neither the config model nor the business calendar.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from supportinbox.config import (
        AccountConfig,
        Config,
        HoursConfig,
        SlaConfig,
        SlaSettings,
        SlaTargets,
        TriageConfig,
    )
    from supportinbox.domain.hours import BusinessCalendar

BAND_INCIDENT = 5
BAND_URGENT = 4
BAND_BREACHED = 3
BAND_GUARD = 2
BAND_NORMAL = 1
BAND_IDLE = 0

# How far an open conversation is through its SLA (stored as ``sla_level``).
LEVEL_OK = 0
LEVEL_WARN = 1
LEVEL_BREACHED = 2

SLA_WARN_POINTS = 30
SLA_BREACH_POINTS = 50

_GUARD_BANDS = {LEVEL_BREACHED: BAND_BREACHED, LEVEL_WARN: BAND_GUARD}
_POINTS = {LEVEL_BREACHED: SLA_BREACH_POINTS, LEVEL_WARN: SLA_WARN_POINTS}
_LABELS = {LEVEL_BREACHED: "breached", LEVEL_WARN: "due soon", LEVEL_OK: "ok"}


# --- policies -----------------------------------------------------------------------------

FIRST_REPLY = "first reply"
NEXT_REPLY = "reply"
RESOLUTION = "resolution"


@dataclass(frozen=True)
class Targets:
    """What one conversation is promised, in business time."""

    first_reply: timedelta
    next_reply: timedelta
    resolution: timedelta | None = None

    @property
    def first_reply_guard(self) -> timedelta:
        """When the queue lifts a conversation nobody has answered yet (module docstring)."""
        return max(self.first_reply, self.next_reply)

    def over(self, overrides: SlaTargets | None) -> Targets:
        """These targets with the ones ``overrides`` sets replaced."""
        if overrides is None:
            return self
        return replace(
            self,
            first_reply=overrides.first_reply or self.first_reply,
            next_reply=overrides.next_reply or self.next_reply,
            resolution=overrides.resolution or self.resolution,
        )


def _calendar(hours: HoursConfig | None) -> BusinessCalendar:
    from supportinbox.domain.hours import BusinessCalendar

    return BusinessCalendar(hours)


@dataclass(frozen=True)
class Policy:
    """A mailbox's SLA policy: targets by customer and tag, counted on its business calendar.

    Targets come from, later ones winning: the defaults (``[triage] attentive_minutes``
    for the first reply, ``sla_hours`` for the next), ``[sla]``, the mailbox's
    ``[accounts.X.sla]``, ``[sla.tags.T]`` for the conversation's tags, ``[sla.vip]``.
    """

    base: Targets
    vip: SlaTargets
    tags: Mapping[str, SlaTargets]
    vip_senders: tuple[str, ...]
    warn_fraction: float
    calendar: BusinessCalendar = field(default_factory=lambda: _calendar(None))

    @classmethod
    def build(
        cls,
        triage: TriageConfig,
        sla: SlaConfig | None = None,
        mailbox: SlaTargets | None = None,
        hours: HoursConfig | None = None,
    ) -> Policy:
        from supportinbox.config import SlaConfig

        sla = sla or SlaConfig()
        defaults = Targets(
            first_reply=timedelta(minutes=triage.attentive_minutes),
            next_reply=timedelta(hours=triage.sla_hours),
        )
        return cls(
            base=defaults.over(sla).over(mailbox),
            vip=sla.vip,
            tags=dict(sla.tags),
            vip_senders=tuple(triage.vip_senders),
            warn_fraction=triage.sla_warn_fraction,
            calendar=_calendar(hours),
        )

    @classmethod
    def for_account(cls, config: Config, account: AccountConfig) -> Policy:
        """The policy of ``account`` under ``config``."""
        return cls.from_settings(config.triage, config.sla_settings(account))

    @classmethod
    def from_settings(cls, triage: TriageConfig, settings: SlaSettings) -> Policy:
        return cls.build(triage, settings.sla, settings.mailbox, settings.hours)

    def targets(self, customer: str, tags: Iterable[str] = ()) -> Targets:
        """The targets of a conversation with ``customer`` carrying ``tags``."""
        from supportinbox.domain.scoring import is_vip  # scoring's rule for who is a VIP

        targets = self.base
        if not self.vip_senders and not self.tags:
            return targets
        for tag in sorted(set(tags)):
            targets = targets.over(self.tags.get(tag))
        if customer and is_vip(customer, self.vip_senders):
            targets = targets.over(self.vip)
        return targets

    def due(self, start: datetime, target: timedelta) -> tuple[datetime, datetime]:
        """When the warning starts and when ``target`` from ``start`` is breached."""
        seconds = target.total_seconds()
        return self.calendar.add(start, seconds * self.warn_fraction), self.calendar.add(start, seconds)

    def met(self, start: datetime, end: datetime, target: timedelta) -> bool:
        """Whether something started at ``start`` and done at ``end`` met ``target``."""
        return self.calendar.seconds(start, end) <= target.total_seconds()


@dataclass(frozen=True)
class Deadline:
    """The next promise an open conversation is measured against."""

    kind: str  # FIRST_REPLY, NEXT_REPLY or RESOLUTION
    target: timedelta
    warn_at: datetime
    due_at: datetime
    # The starvation guard (module docstring): when the queue lifts the conversation.
    guard_warn_at: datetime
    guard_due_at: datetime

    @property
    def stored(self) -> str:
        """How the deadline's kind and target are kept with the conversation (``kind|seconds``)."""
        return f"{self.kind}|{int(self.target.total_seconds())}"


def deadline(
    policy: Policy,
    *,
    waiting_since: datetime,
    answered_before: bool,
    customer: str,
    cycle_start: datetime | None,
) -> Deadline:
    """The promise (the earliest of the reply target, first or next, and the resolution
    target) and the starvation guard (the same, a first reply guarded no earlier than
    the next-reply target)."""
    targets = policy.targets(customer)
    kind, target = (NEXT_REPLY, targets.next_reply) if answered_before else (FIRST_REPLY, targets.first_reply)
    promise = policy.due(waiting_since, target)
    guard = policy.due(waiting_since, targets.next_reply if answered_before else targets.first_reply_guard)
    if targets.resolution is not None and cycle_start is not None:
        resolution = policy.due(cycle_start, targets.resolution)
        guard = min(guard, resolution, key=lambda due: due[1])
        if resolution[1] < promise[1]:
            kind, target, promise = RESOLUTION, targets.resolution, resolution
    return Deadline(kind, target, *promise, *guard)


def level_at(warn_at: datetime | None, due_at: datetime | None, now: datetime) -> int:
    """:data:`LEVEL_OK`, :data:`LEVEL_WARN` or :data:`LEVEL_BREACHED` at ``now``."""
    if due_at is not None and now >= due_at:
        return LEVEL_BREACHED
    if warn_at is not None and now >= warn_at:
        return LEVEL_WARN
    return LEVEL_OK


def guard_band(level: int, base_band: int) -> int:
    """The band of an open conversation whose starvation guard is at ``level``.

    The guard only lifts: an urgent conversation or an incident keeps its higher band
    when its guard deadline passes; :data:`LEVEL_OK` keeps the conversation's own band.
    """
    return max(base_band, _GUARD_BANDS.get(level, base_band))


def points(level: int) -> int:
    """Urgency points for an SLA level (see :func:`level_at`)."""
    return _POINTS.get(level, 0)


def is_lifted(band: int) -> bool:
    """Whether a band stands out in the queue (the guard's or anything above it)."""
    return band >= BAND_GUARD


def is_urgent(band: int) -> bool:
    """Whether a band is urgent in its own right (``is:urgent``): urgent or an incident."""
    return band >= BAND_URGENT


def is_alarming(band: int) -> bool:
    """Whether a band is past the SLA or above (shown in the error colour)."""
    return band >= BAND_BREACHED


def level_label(level: int) -> str:
    """``breached`` / ``due soon`` / ``ok`` for a stored level."""
    return _LABELS.get(level, "")


_MINUTE = timedelta(minutes=1)


def _span(delta: timedelta) -> str:
    """:func:`~supportinbox.domain.when.duration`, with "under a minute" for what it would call "0m"."""
    return duration(delta) if delta >= _MINUTE else "under a minute"


def reason(
    level: int, waiting_since: datetime | None, due_at: datetime | None, now: datetime, stored: str
) -> str | None:
    """Why an open conversation is lifted at a warning or breach ``level`` (else ``None``).

    ``"first reply due in 12m"``, ``"first reply overdue by 2h 05m (target 30m)"``,
    ``"waiting 1d 2h, SLA 1d (breached)"``, ``"resolution due in 5h"``; ``stored`` is
    :attr:`Deadline.stored`.
    """
    if level == LEVEL_OK or waiting_since is None or due_at is None:
        return None
    kind, _, seconds = stored.partition("|")
    target = (
        duration(timedelta(seconds=int(seconds))) if seconds.isdigit() else duration(due_at - waiting_since)
    )
    left = due_at - now
    if kind in (FIRST_REPLY, RESOLUTION):
        if level == LEVEL_BREACHED:
            return f"{kind} overdue by {_span(now - due_at)} (target {target})"
        if left < _MINUTE:  # not "due in 0 min"
            return f"{kind} due within a minute"
        return f"{kind} due in {duration(left)}"
    waited = duration(now - waiting_since)
    if level == LEVEL_BREACHED:
        return f"waiting {waited}, SLA {target} (breached)"
    return f"waiting {waited}, SLA {target} ({duration(left) if left >= _MINUTE else 'under a minute'} left)"


def sort_key(
    order: str,
    last_customer_at: datetime | None,
    waiting_since: datetime | None,
    *,
    guard: int = LEVEL_OK,
    guard_due_at: datetime | None = None,
    band: int = BAND_NORMAL,
) -> str:
    """A text key that sorts descending into the queue order within ``band`` (one index, one direction).

    Conversations past their guard deadline come first in their band, the longest-waiting
    first, whatever the configured order: "newest first" is for catching writers while they
    are still at the keyboard, and must not leave one that has waited past its SLA below
    fresh ones. The guard's own band (:data:`BAND_GUARD`: lifted because the deadline is
    near) is in deadline order, the nearest first, so the one about to pass it does not wait
    behind others that have hours left. The rest follow the configured order.
    The guard's forms are also computed in SQL (:data:`BREACHED_SORT_KEY_SQL`,
    :data:`WARNED_SORT_KEY_SQL`).
    """
    if guard == LEVEL_BREACHED:
        return _earliest_first("2", waiting_since or last_customer_at)
    if guard == LEVEL_WARN and band == BAND_GUARD:
        return _earliest_first("1", guard_due_at or waiting_since or last_customer_at)
    if order == "oldest":
        return _earliest_first("0", waiting_since or last_customer_at)
    epoch = int(last_customer_at.timestamp()) if last_customer_at else 0
    return f"0{epoch:011d}"


def _earliest_first(tier: str, when: datetime | None) -> str:
    """A key of ``tier`` (the leading digit puts higher tiers first) that puts the earliest ``when`` first."""
    epoch = int(when.timestamp()) if when else 0
    return f"{tier}{10**11 - epoch:011d}"


# --- the same rule in SQL, over the stored ``conversations`` columns ---------------------


def _earliest_first_sql(tier: str, column: str) -> str:
    epoch = f"COALESCE(CAST(strftime('%s', {column}) AS INTEGER), 0)"
    return f"'{tier}' || printf('%011d', 100000000000 - {epoch})"


# The guard's sort keys of a stored row (see :func:`sort_key`).
BREACHED_SORT_KEY_SQL = _earliest_first_sql("2", "waiting_since")
WARNED_SORT_KEY_SQL = _earliest_first_sql("1", "COALESCE(sla_guard_due_at, waiting_since)")


def level_sql(level: int) -> str:
    """The SET list that moves a stored open conversation's promise to ``level``.

    Mirrors :func:`points`; the clock step runs it for the rows whose promise deadline
    has just passed.
    """
    return f"sla_level = {level}, urgency = base_urgency + {points(level)}"


def guard_sql(level: int) -> str:
    """The SET list that moves a stored open conversation's guard to ``level``.

    Mirrors :func:`guard_band` and, for a warning or a breach, :func:`sort_key`; the clock
    step runs it for the rows whose guard deadline (or its warning) has just passed.
    """
    columns = [f"sla_guard_level = {level}"]
    if level in _GUARD_BANDS:
        columns.append(f"band = max(base_band, {_GUARD_BANDS[level]})")
    else:
        columns.append("band = base_band")
    if level == LEVEL_BREACHED:
        columns.append(f"sort_key = {BREACHED_SORT_KEY_SQL}")
    elif level == LEVEL_WARN:
        # Only the rows the warning lifts into the guard's band: a higher band keeps its order.
        warned = f"CASE WHEN base_band <= {BAND_GUARD} THEN {WARNED_SORT_KEY_SQL} ELSE sort_key END"
        columns.append(f"sort_key = {warned}")
    return ", ".join(columns)


def queue_order_sql(table: str = "") -> str:
    """The queue's ORDER BY terms (``table`` prefixes the columns, e.g. ``"c."``)."""
    return f"{table}band DESC, {table}sort_key DESC"


def urgent_sql(table: str = "") -> str:
    """The condition of :func:`is_urgent` over stored rows."""
    return f"{table}band >= {BAND_URGENT}"
