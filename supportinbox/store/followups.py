"""Follow-ups in the cache: setting, clearing, listing, and their part in a conversation's row.

The rule itself (active, due, lifted) is :mod:`supportinbox.domain.followups`; here it is
applied to the stored rows. A follow-up set here is ``uploaded = 0`` until the next sync
shares it through the state folder (:mod:`supportinbox.team.followups`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from supportinbox.domain import followups, sla
from supportinbox.domain.followups import FollowUp
from supportinbox.domain.when import iso, now_utc, parse_time
from supportinbox.errors import UserError
from supportinbox.store.conversation_rows import State
from supportinbox.store.db import Database

_COLUMNS = "conversation_id, due_at, note, author, set_at"


def _from_row(row: sqlite3.Row | tuple[Any, ...]) -> FollowUp:
    set_at = parse_time(row[4])
    assert set_at is not None
    return FollowUp(str(row[0]), parse_time(row[1]), str(row[2]), str(row[3]), set_at)


def load_followups(conn: sqlite3.Connection) -> dict[str, FollowUp]:
    """Every follow-up in the cache (cleared ones included), by conversation id."""
    return {
        str(r[0]): _from_row(r)
        for r in conn.execute(f"SELECT {_COLUMNS} FROM followups WHERE set_at IS NOT NULL")
    }


def followup_of(conn: sqlite3.Connection, conversation_id: str) -> FollowUp | None:
    """The follow-up of one conversation (``None``: never set)."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM followups WHERE conversation_id = ?", (conversation_id,)
    ).fetchone()
    return _from_row(row) if row else None


def active_note(conn: sqlite3.Connection, conversation_id: str) -> str | None:
    """The note of the conversation's follow-up while it is the one in force; else None."""
    row = conn.execute(
        "SELECT f.note FROM followups f JOIN conversations c ON c.id = f.conversation_id "
        "WHERE f.conversation_id = ? AND f.due_at IS NOT NULL AND c.followup_at = f.due_at",
        (conversation_id,),
    ).fetchone()
    return None if row is None else str(row[0])


def fingerprint_rows(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """What of the follow-ups the queue depends on (for the refresh's change check)."""
    return [tuple(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM followups ORDER BY conversation_id")]


def record(
    conn: sqlite3.Connection,
    conversation_id: str,
    due_at: datetime | None,
    note: str,
    *,
    author: str,
    now: datetime,
) -> None:
    """Write a follow-up (``due_at`` ``None`` clears it) to be shared at the next sync."""
    conn.execute(
        "INSERT INTO followups(conversation_id, due_at, note, author, set_at, uploaded, uid) "
        "VALUES (?, ?, ?, ?, ?, 0, NULL) ON CONFLICT(conversation_id) DO UPDATE SET "
        "due_at = excluded.due_at, note = excluded.note, author = excluded.author, "
        "set_at = excluded.set_at, uploaded = 0, uid = NULL",
        (conversation_id, iso(due_at), followups.clean_note(note) if due_at else "", author, iso(now)),
    )


def set_followup(
    db: Database,
    conversation_id: str,
    due_at: datetime | None,
    note: str = "",
    *,
    agent: str,
    now: datetime | None = None,
) -> None:
    """Set (or with ``due_at`` ``None`` clear) the follow-up of a conversation, and re-rank it."""
    from supportinbox.store.conversations import reapply_state, resolve_id

    moment = now_utc(now)
    if due_at is not None and due_at <= moment:
        raise UserError(f"follow-up time {iso(due_at)} is not in the future")
    ident = resolve_id(db, conversation_id)
    with db.transaction() as tx:
        record(tx, ident, due_at, note, author=agent, now=moment)
    reapply_state(db, [ident], moment)


@dataclass(frozen=True)
class Listed:
    """A conversation with an active follow-up, for ``followups``."""

    conversation_id: str
    subject: str
    customer_email: str
    status: str
    due_at: str
    reason: str
    due: bool
    customer_name: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.conversation_id,
            "subject": self.subject,
            "customer": self.customer_email,
            "status": self.status,
            "due_at": self.due_at,
            "due": self.due,
            "reason": self.reason,
        }


def list_active(db: Database, now: datetime | None = None) -> list[Listed]:
    """Conversations with an active follow-up or pending reminder, soonest first."""
    from supportinbox.store.conversations import apply_clock

    moment = now_utc(now)
    apply_clock(db, moment)
    rows = db.conn.execute(
        "SELECT id, subject, customer_email, status, followup_at, followup_reason, customer_name "
        "FROM conversations INDEXED BY conversations_followup WHERE followup_at IS NOT NULL "
        "ORDER BY followup_at, id"
    ).fetchall()
    stamp = iso(moment) or ""
    return [
        Listed(
            str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[4]) <= stamp, str(r[6])
        )
        for r in rows
    ]


def with_followup(
    compute: Callable[[State | None, datetime | None], dict[str, Any]],
    state: State | None,
    followup: FollowUp | None,
    *,
    last_customer_at: datetime | None,
    last_agent_at: datetime | None,
    reminder_days: float,
    order: str,
    now: datetime,
) -> dict[str, Any]:
    """A conversation's status columns (``compute`` of a manual state) with its follow-up applied.

    A due follow-up counts as the conversation reopened by hand at the due time, and
    takes its place in the queue as if the customer had written then. The
    stored ``followup_at`` is the due time of a follow-up still to come or just lifted;
    one that a later status set by hand has overridden is spent (``None``), so the clock
    never looks at it again.
    """
    fields = compute(state, None)
    found = followups.due(
        followup,
        status=str(fields["status"]),
        last_customer_at=last_customer_at,
        last_agent_at=last_agent_at,
        reminder_days=reminder_days,
    )
    manual_at = state.updated_at if state is not None and state.status else None
    if found is not None and found.at <= now:
        if followups.lifts(found, manual_at, now):
            closed = found.at if fields["status"] == "closed" else None  # a new resolution clock
            fields = compute(State("open", None, state.assigned_to if state else None, found.at), closed)
            fields["sort_key"] = sla.sort_key(
                order,
                found.at,
                parse_time(fields["waiting_since"]),
                guard=fields["sla_guard_level"],
                guard_due_at=parse_time(fields["sla_guard_due_at"]),
                band=fields["band"],
            )
        else:
            found = None
    fields["followup_at"] = iso(found.at) if found else None
    fields["followup_reason"] = found.reason if found else ""
    return fields
