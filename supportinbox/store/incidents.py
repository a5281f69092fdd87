"""Incidents in the cache: each with an id, a title, a status and its member conversations.

The refresh (:mod:`supportinbox.store.triage_refresh`) carries them on from one run to the
next through :func:`supportinbox.domain.incidents.track`; commands list, show and close them.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.incidents import ACTIVE, CLOSED, Tracked, reason_line
from supportinbox.domain.when import iso, now_utc, parse_time
from supportinbox.errors import UserError
from supportinbox.store.conversation_rows import IdKind, queue_columns, resolve_prefix, summary_from_row
from supportinbox.store.db import Database
from supportinbox.store.rows import columns, sql
from supportinbox.store.rows import load as load_row

INCIDENT_IDS = IdKind(
    table="incidents",
    noun="incident",
    article="an",
    shape=re.compile(r"^i[a-z0-9]{3,6}$"),
    example="i4k2x9q",
    listing="supportinbox incident list",
    listing_all="supportinbox incident list --all",
)
# Quiet and closed incidents are kept this long for `incident list --all`, then forgotten.
_KEEP_DAYS = 90


def load(conn: sqlite3.Connection) -> list[Tracked]:
    """Every incident still kept, with its members."""
    members: dict[str, list[str]] = {}
    for incident_id, conversation_id in conn.execute(
        "SELECT incident_id, conversation_id FROM incident_members ORDER BY joined_order"
    ):
        members.setdefault(str(incident_id), []).append(str(conversation_id))
    out = []
    for ident, title, stems, status, first_at, last_at, closed_at in conn.execute(
        "SELECT id, title, stems, status, first_at, last_at, closed_at FROM incidents ORDER BY first_at, id"
    ):
        first, last = parse_time(first_at), parse_time(last_at)
        if first is None or last is None:
            continue
        out.append(
            Tracked(
                id=str(ident),
                title=str(title),
                stems=tuple(str(stems).split()),
                status=str(status),
                first_at=first,
                last_at=last,
                members=tuple(members.get(str(ident), ())),
                closed_at=parse_time(closed_at),
            )
        )
    return out


def save(conn: sqlite3.Connection, tracked: Sequence[Tracked], existing: set[str], now: datetime) -> None:
    """Write ``tracked`` (inside the caller's transaction); members must be in ``existing``.

    Conversations that no longer exist leave their incident; incidents quiet or closed for
    longer than the keeping time are forgotten.
    """
    conn.execute("DELETE FROM incident_members")
    conn.execute("DELETE FROM incidents")
    horizon = now.timestamp() - _KEEP_DAYS * 86400
    order = 0
    # In the order load() reads them, so saving what was loaded writes the same rows.
    for incident in sorted(tracked, key=lambda t: (t.first_at, t.id)):
        if incident.status != ACTIVE and incident.last_at.timestamp() < horizon:
            continue
        conn.execute(
            "INSERT INTO incidents(id, title, stems, status, first_at, last_at, closed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                incident.id,
                incident.title,
                " ".join(incident.stems),
                incident.status,
                iso(incident.first_at),
                iso(incident.last_at),
                iso(incident.closed_at),
            ),
        )
        for conversation_id in incident.members:
            if conversation_id in existing:
                order += 1
                conn.execute(
                    "INSERT OR IGNORE INTO incident_members(incident_id, conversation_id, joined_order) "
                    "VALUES (?, ?, ?)",
                    (incident.id, conversation_id, order),
                )


@dataclass(frozen=True)
class IncidentSummary:
    """An incident as commands show it."""

    id: str
    title: str
    status: str
    first_at: str | None
    last_at: str | None
    closed_at: str | None
    members: int
    customers: int
    open: int  # members still open (answered or not: see mail.drafts.awaiting_answer)

    @property
    def reason(self) -> str:
        first, last = parse_time(self.first_at), parse_time(self.last_at)
        span = (last - first) if first and last else None
        return reason_line(self.customers, self.title, span) if span is not None else self.title

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "closed_at": self.closed_at,
            "members": self.members,
            "customers": self.customers,
            "open": self.open,
            "reason": self.reason,
        }


@dataclass(slots=True)
class _SummaryRow:
    """An incident with its counts (see :mod:`supportinbox.store.rows`)."""

    id: str
    title: str
    status: str
    first_at: str | None
    last_at: str | None
    closed_at: str | None
    members: int = field(metadata=sql("COUNT(c.id)"))
    customers: int = field(metadata=sql("COUNT(DISTINCT c.customer_email)"))
    open: int | None = field(metadata=sql("SUM(CASE WHEN c.status = 'open' THEN 1 ELSE 0 END)"))


_SUMMARY_SELECT = (
    f"SELECT {columns(_SummaryRow, 'i.')} "
    "FROM incidents i LEFT JOIN incident_members m ON m.incident_id = i.id "
    "LEFT JOIN conversations c ON c.id = m.conversation_id"
)


def _summary(found: Sequence[object]) -> IncidentSummary:
    row = load_row(_SummaryRow, found)
    return IncidentSummary(
        id=str(row.id),
        title=str(row.title),
        status=str(row.status),
        first_at=row.first_at,
        last_at=row.last_at,
        closed_at=row.closed_at,
        members=int(row.members or 0),
        customers=int(row.customers or 0),
        open=int(row.open or 0),
    )


def list_incidents(db: Database, *, include_all: bool = False) -> list[IncidentSummary]:
    """Active incidents, newest report first (every kept one with ``include_all``)."""
    where = "" if include_all else f"WHERE i.status = '{ACTIVE}' "
    rows = db.conn.execute(f"{_SUMMARY_SELECT} {where}GROUP BY i.id ORDER BY i.last_at DESC, i.id").fetchall()
    return [_summary(r) for r in rows]


def resolve_incident(db: Database, text: str) -> str:
    """The incident id ``text`` names (the whole id or a unique prefix of 4+ characters)."""
    return resolve_prefix(db.conn, INCIDENT_IDS, text)


def get_incident(
    db: Database, text: str, now: datetime | None = None
) -> tuple[IncidentSummary, list[ConversationSummary]]:
    """An incident and its member conversations, in the order they joined."""
    ident = resolve_incident(db, text)
    row = db.conn.execute(f"{_SUMMARY_SELECT} WHERE i.id = ? GROUP BY i.id", (ident,)).fetchone()
    columns = queue_columns("c.")
    members = db.conn.execute(
        f"SELECT {columns} FROM incident_members m JOIN conversations c ON c.id = m.conversation_id "
        "WHERE m.incident_id = ? ORDER BY m.joined_order",
        (ident,),
    ).fetchall()
    moment = now_utc(now)
    return _summary(row), [summary_from_row(r, moment) for r in members]


def close_incident(
    db: Database, text: str, now: datetime | None = None, *, agent: str = ""
) -> IncidentSummary:
    """Close an incident: its members lose the incident band at the next refresh, which is made due.

    The close waits in ``incident_closes`` to be shared with the team
    (:mod:`supportinbox.team.incidents`).
    """
    ident = resolve_incident(db, text)
    status = db.conn.execute("SELECT status FROM incidents WHERE id = ?", (ident,)).fetchone()[0]
    if status == CLOSED:
        raise UserError(f"incident {ident} is already closed")
    closed_at = iso(now_utc(now))
    with db.transaction() as tx:
        tx.execute("UPDATE incidents SET status = ?, closed_at = ? WHERE id = ?", (CLOSED, closed_at, ident))
        tx.execute(
            "INSERT OR REPLACE INTO incident_closes(incident_id, closed_at, author, uploaded) "
            "VALUES (?, ?, ?, 0)",
            (ident, closed_at, agent),
        )
        tx.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'triage_input_version'")
    summary, _ = get_incident(db, ident, now)
    return summary


def report_ids(conn: sqlite3.Connection, ident: str) -> list[str]:
    """The Message-ID of each report of incident ``ident`` (its members' first messages), in
    the order they joined: how a teammate's copy knows the incident under another id."""
    rows = conn.execute(
        "SELECT (SELECT g.message_id FROM messages g WHERE g.conversation_id = m.conversation_id "
        "        AND g.message_id IS NOT NULL ORDER BY g.date, g.id LIMIT 1) "
        "FROM incident_members m WHERE m.incident_id = ? ORDER BY m.joined_order",
        (ident,),
    ).fetchall()
    return [str(r[0]) for r in rows if r[0]]


def active_holding(conn: sqlite3.Connection, message_ids: Sequence[str]) -> list[str]:
    """The active incidents here with a member conversation holding one of ``message_ids``."""
    if not message_ids:
        return []
    found: set[str] = set()
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start : start + 500]
        found.update(
            str(r[0])
            for r in conn.execute(
                "SELECT DISTINCT i.id FROM incidents i JOIN incident_members m ON m.incident_id = i.id "
                "JOIN messages g ON g.conversation_id = m.conversation_id "
                f"WHERE i.status = ? AND g.message_id IN ({', '.join('?' * len(chunk))})",
                (ACTIVE, *chunk),
            )
        )
    return sorted(found)


def close_from_team(conn: sqlite3.Connection, ident: str, closed_at: str) -> bool:
    """Close an active incident a teammate closed (inside the caller's transaction); False
    when it is not here or not active (closed already, or not found yet: asked again at the
    next sync)."""
    done = conn.execute(
        "UPDATE incidents SET status = ?, closed_at = ? WHERE id = ? AND status = ?",
        (CLOSED, closed_at, ident, ACTIVE),
    ).rowcount
    if done:
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'triage_input_version'")
    return bool(done)
