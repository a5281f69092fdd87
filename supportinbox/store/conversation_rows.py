"""Shared pieces of the conversation store: cache times, manual state, status columns.

Used by the refresh (:mod:`supportinbox.store.triage_refresh`) and the queries
(:mod:`supportinbox.store.conversations`), so both derive status and order identically.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from supportinbox.domain import handover, sla
from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.status import effective_status, ended_by_customer, reopened_reason
from supportinbox.domain.when import iso, parse_time
from supportinbox.errors import NotFound
from supportinbox.store.rows import columns, load

# Not typing.TYPE_CHECKING (see store/triage_fresh.py): reading the queue loads no config model.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from supportinbox.config import SlaSettings, TriageConfig
    from supportinbox.store.db import Database

# --- time helpers -----------------------------------------------------------------------


def message_time(date: str | None, internaldate: str | None) -> datetime | None:
    """When a message was written: its Date, but never later than its arrival on the server.

    The Date header is the sender's clock; bounding it by the arrival time means a message
    dated in the future cannot pin itself to the top of the queue.
    """
    sent = parse_time(date)
    arrived = parse_time(internaldate)
    if sent is None:
        return arrived
    if arrived is None:
        return sent
    return min(sent, arrived)


@dataclass(frozen=True)
class IdKind:
    """One kind of row users name by id (or a prefix of it), and the words for it."""

    table: str  # one of ours, never user input
    noun: str  # "conversation"
    article: str  # "a" or "an", for the noun
    shape: re.Pattern[str]  # what such an id can look like
    example: str  # an id of this shape, for the error
    listing: str  # the command that lists them
    listing_all: str  # the command that lists every one, closed ones too


# The start of a contact form's body, where its fields are (domain.customer.form_sender).
_FORM_HEAD = "SELECT substr(body_text, 1, 2000) FROM messages WHERE id = ?"


def form_head(conn: sqlite3.Connection, rowid: int) -> str:
    """The start of message ``rowid``'s text, where a contact form puts its fields."""
    found = conn.execute(_FORM_HEAD, (rowid,)).fetchone()
    return str(found[0] or "") if found is not None else ""


def resolve_prefix(conn: sqlite3.Connection, kind: IdKind, text: str) -> str:
    """The id of ``kind`` that ``text`` names: the whole id, or the only one it starts.

    Raises :class:`NotFound` saying what was wrong (not such an id, several match, none).
    """
    wanted = text.strip().lower()
    if not kind.shape.match(wanted):
        raise NotFound(
            f"{text!r} is not {kind.article} {kind.noun} id "
            f"(ids look like {kind.example!r}; see {kind.listing!r})"
        )
    rows = conn.execute(
        f"SELECT id FROM {kind.table} WHERE id >= ? AND id < ? ORDER BY id LIMIT 2", (wanted, wanted + "~")
    ).fetchall()
    if any(r[0] == wanted for r in rows):
        return wanted
    if len(rows) > 1:
        raise NotFound(f"{text!r} matches several {kind.noun}s: type more of the id")
    if not rows:
        raise NotFound(f"no {kind.noun} {text!r}: see {kind.listing_all!r}")
    return str(rows[0][0])


# --- status fields ---------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    status: str | None
    snoozed_until: datetime | None
    assigned_to: str | None
    updated_at: datetime | None


def load_states(conn: sqlite3.Connection) -> dict[str, State]:
    """Every manual state row, by conversation id."""
    return {
        str(r[0]): State(r[1], parse_time(r[2]), r[3], parse_time(r[4]))
        for r in conn.execute(
            "SELECT conversation_id, status, snoozed_until, assigned_to, updated_at FROM conversation_state"
        )
    }


@dataclass(frozen=True)
class StoredTriageConfig:
    config: TriageConfig
    policy: sla.Policy

    @classmethod
    def load(cls, db: Database) -> StoredTriageConfig:
        """The triage settings and SLA policy the last refresh used (defaults before the first one)."""
        from supportinbox.config import SlaSettings, TriageConfig

        config, settings = TriageConfig(), SlaSettings()
        stored = db.get_meta("triage_config")
        if stored:
            with contextlib.suppress(ValueError):
                config = TriageConfig.model_validate_json(stored)
        stored = db.get_meta("sla_settings")
        if stored:
            with contextlib.suppress(ValueError):
                settings = SlaSettings.model_validate_json(stored)
        return cls(config, sla.Policy.from_settings(config, settings))

    @staticmethod
    def save(db: Database, config: TriageConfig, settings: SlaSettings) -> None:
        db.set_meta("triage_config", config.model_dump_json())
        db.set_meta("sla_settings", settings.model_dump_json())


def status_fields(
    *,
    derived: str,
    state: State | None,
    last_customer_at: datetime | None,
    last_agent_at: datetime | None,
    last_message_at: datetime | None,
    unanswered_since: datetime | None,
    base_band: int,
    base_urgency: int,
    config: TriageConfig,
    policy: sla.Policy,
    customer_email: str,
    first_message_at: datetime | None,
    now: datetime,
    lifted_close_at: datetime | None = None,
) -> dict[str, Any]:
    """The status, SLA and order columns of a conversation at ``now``.

    ``lifted_close_at``: a follow-up brought a closed conversation back at this time; its
    resolution clock starts again then, as after the customer reopened it.
    """
    manual = state.status if state else None
    snoozed_until = state.snoozed_until if state else None
    status = effective_status(
        derived,
        manual,
        state.updated_at if state else None,
        snoozed_until,
        last_customer_at,
        last_agent_at,
        now,
    )
    closed_at = state.updated_at if state else None
    ended = ended_by_customer(status, manual, closed_at, snoozed_until, last_customer_at)
    waiting: datetime | None = None
    if status in ("open", "snoozed"):
        waiting = unanswered_since
        if waiting is None and state is not None:
            waiting = snoozed_until if manual == "snoozed" else state.updated_at
        waiting = waiting or now
    warn_at = due_at = guard_warn_at = guard_due_at = None
    target = ""
    if waiting is not None:
        # After a reopen the resolution clock starts again with the customer's message.
        reopened = manual == "closed" and status != "closed"
        found = sla.deadline(
            policy,
            waiting_since=waiting,
            answered_before=last_agent_at is not None,
            customer=customer_email,
            cycle_start=unanswered_since if reopened else lifted_close_at or first_message_at,
        )
        warn_at, due_at, target = found.warn_at, found.due_at, found.stored
        guard_warn_at, guard_due_at = found.guard_warn_at, found.guard_due_at
    if status == "open":
        # The promise is what is said (level, points, reason); the guard moves the row.
        level = sla.level_at(warn_at, due_at, now)
        guard = sla.level_at(guard_warn_at, guard_due_at, now)
        band = sla.guard_band(guard, base_band)
        urgency = base_urgency + sla.points(level)
    else:
        level = guard = sla.LEVEL_OK
        band, urgency = sla.BAND_IDLE, base_urgency
    if status in ("open", "snoozed"):
        # A snoozed conversation already carries the key it will need when it wakes.
        key = sla.sort_key(
            config.order,
            last_customer_at or last_message_at,
            waiting,
            guard=guard if status == "open" else sla.LEVEL_OK,
            guard_due_at=guard_due_at,
            band=band,
        )
    else:
        key = sla.sort_key("newest", last_message_at, None)
    return {
        "status": status,
        "snoozed_until": iso(snoozed_until) if status == "snoozed" else None,
        "waiting_since": iso(waiting) if status == "open" else None,
        "sla_warn_at": iso(warn_at),
        "sla_due_at": iso(due_at),
        "sla_level": level,
        "sla_target": target,
        "sla_guard_warn_at": iso(guard_warn_at),
        "sla_guard_due_at": iso(guard_due_at),
        "sla_guard_level": guard,
        "band": band,
        "urgency": urgency,
        "sort_key": key,
        # Open again because the customer wrote after a close (its time) or during a snooze
        # (its end), for the reason.
        "reopened_after": iso(closed_at if ended == "closed" else snoozed_until) if ended else None,
        "reopened_from": ended or None,
    }


@dataclass(slots=True)
class QueueRow:
    """The columns of ``conversations`` a queue line is made of (see :mod:`supportinbox.store.rows`)."""

    id: str
    subject: str
    customer_email: str
    customer_name: str
    status: str
    urgency: int
    band: int
    reasons: str | None  # JSON list
    last_message_at: str | None
    waiting_since: str | None
    message_count: int
    unread_count: int
    assigned_to: str | None
    incident_id: str | None
    snoozed_until: str | None
    followups: int
    first_message_at: str | None
    last_customer_at: str | None
    sla_warn_at: str | None
    sla_due_at: str | None
    sla_level: int
    sla_target: str
    followup_at: str | None
    followup_reason: str
    tags: str
    handovers: int
    reopened_after: str | None
    reopened_from: str | None


def queue_columns(alias: str = "") -> str:
    """The SELECT list of a queue line (``alias``: the table's, e.g. ``"c."``)."""
    return columns(QueueRow, alias)


def summary_from_row(row: Sequence[Any], now: datetime) -> ConversationSummary:
    """A queue row (selected with :func:`queue_columns`) as a summary, with the SLA reason of ``now``.

    The row's stored SLA level is taken as it is: readers apply the clock first.
    """
    line = load(QueueRow, row)
    try:
        reasons = [str(r) for r in json.loads(line.reasons or "")]
    except (ValueError, TypeError):
        reasons = []
    level = int(line.sla_level) if line.status == "open" else sla.LEVEL_OK
    waiting = sla.reason(
        level, parse_time(line.waiting_since), parse_time(line.sla_due_at), now, str(line.sla_target)
    )
    if waiting:
        reasons.insert(0, waiting)
    ended_at = parse_time(line.reopened_after) if line.status == "open" else None
    reopened = reopened_reason(ended_at, line.reopened_from or "closed", now) if ended_at else ""
    if reopened:
        reasons.insert(0, reopened)
    handed = handover.reason(int(line.handovers or 0))
    if handed:
        reasons.append(handed)
    followup_at = parse_time(line.followup_at)
    if followup_at is not None and followup_at <= now and line.status == "open" and line.followup_reason:
        reasons.insert(0, str(line.followup_reason))  # why it is back in the queue comes first
    return ConversationSummary(
        id=line.id,
        subject=line.subject,
        customer_email=line.customer_email,
        customer_name=line.customer_name,
        status=line.status,
        urgency=int(line.urgency),
        band=int(line.band),
        reasons=reasons,
        last_message_at=line.last_message_at,
        waiting_since=line.waiting_since,
        message_count=int(line.message_count),
        unread_count=int(line.unread_count),
        assigned_to=line.assigned_to,
        incident_id=line.incident_id,
        snoozed_until=line.snoozed_until,
        followups=int(line.followups),
        first_message_at=line.first_message_at,
        last_customer_at=line.last_customer_at,
        sla_level=level,
        followup_at=line.followup_at,
        tags=tuple(str(line.tags or "").split()),
        reopened=reopened,
    )
