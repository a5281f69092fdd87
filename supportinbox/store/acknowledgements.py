"""The acknowledgements sent (or on their way) from here, and the ones teammates sent.

A row per acknowledged customer message (the ``acknowledgements`` table, kept by a cache
rebuild); what teammates sent is read from the cache: our mail (store/ours.py) that says
``Auto-Submitted: auto-replied`` (its ``automated`` kind is ``auto-reply``). Together they
keep the two limits of :mod:`supportinbox.domain.acknowledgement`: one per conversation,
one per customer in a while.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from supportinbox.domain.automated import AUTO_REPLY
from supportinbox.store.db import utcnow_iso
from supportinbox.store.outbox import OutboxStatus

# Our mail in Sent marked as an automatic reply: an acknowledgement, whoever sent it.
_SENT_ACKS = (
    "SELECT m.conversation_id, m.to_addrs, m.date, m.internaldate FROM messages m "
    "JOIN folders f ON f.id = m.folder_id WHERE f.role = 'sent' AND m.automated = ?"
)


def record(
    conn: sqlite3.Connection,
    *,
    message_id: str,
    conversation_id: str,
    customer: str,
    outbox_id: int | None,
    reason: str,
) -> bool:
    """Remember that ``message_id`` is acknowledged by outbox reply ``outbox_id``; False when
    it already was (another process of this client got there first)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO acknowledgements(message_id, conversation_id, customer, outbox_id, reason, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (message_id, conversation_id, customer.lower(), outbox_id, reason, utcnow_iso()),
    )
    return cursor.rowcount == 1


def acknowledged_messages(conn: sqlite3.Connection, message_ids: Iterable[str]) -> bool:
    """Whether one of ``message_ids`` was acknowledged from here (whatever became of it)."""
    ids = [m for m in message_ids if m]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found = conn.execute(
            f"SELECT 1 FROM acknowledgements WHERE message_id IN ({', '.join('?' * len(chunk))}) LIMIT 1",
            chunk,
        ).fetchone()
        if found is not None:
            return True
    return False


def customer_acknowledged_since(conn: sqlite3.Connection, customer: str, since: datetime) -> bool:
    """Whether ``customer`` got an acknowledgement (from here or a teammate) after ``since``."""
    address = customer.strip().lower()
    stamp = since.isoformat(timespec="seconds")
    cancelled = (OutboxStatus.CANCELLED,)
    here = conn.execute(
        "SELECT 1 FROM acknowledgements a LEFT JOIN outbox o ON o.id = a.outbox_id "
        "WHERE a.customer = ? AND a.created_at > ? AND (o.status IS NULL OR o.status NOT IN (?)) LIMIT 1",
        (address, stamp, *cancelled),
    ).fetchone()
    if here is not None:
        return True
    from supportinbox.store.conversation_rows import message_time

    for _conversation, to_addrs, date, internaldate in conn.execute(
        f"{_SENT_ACKS} AND lower(m.to_addrs) LIKE ?", (AUTO_REPLY, f"%{address}%")
    ):
        when = message_time(date, internaldate)
        if address in str(to_addrs).lower().split() and when is not None and when > since:
            return True
    return False


def outbox_ids(conn: sqlite3.Connection) -> frozenset[int]:
    """The outbox replies that are acknowledgements."""
    rows = conn.execute("SELECT outbox_id FROM acknowledgements WHERE outbox_id IS NOT NULL")
    return frozenset(int(r[0]) for r in rows)


def is_acknowledgement(conn: sqlite3.Connection, outbox_id: int) -> bool:
    """Whether outbox reply ``outbox_id`` is an automatic acknowledgement."""
    found = conn.execute("SELECT 1 FROM acknowledgements WHERE outbox_id = ? LIMIT 1", (outbox_id,))
    return found.fetchone() is not None


def reason_of(conn: sqlite3.Connection, outbox_id: int) -> str:
    """Why the acknowledgement ``outbox_id`` was sent ('' when it is none)."""
    row = conn.execute("SELECT reason FROM acknowledgements WHERE outbox_id = ?", (outbox_id,)).fetchone()
    return str(row[0]) if row else ""


def overtaken(
    conn: sqlite3.Connection, outbox_id: int, conversation_id: str | None, *, queued_at: str, now: datetime
) -> str | None:
    """Why acknowledgement ``outbox_id`` must not leave any more (a person answered, a reply
    is on its way, or it waited too long, the mail server down); None when it still may."""
    from supportinbox.domain.acknowledgement import FRESH_FOR
    from supportinbox.domain.when import parse_time

    queued = parse_time(queued_at)
    if queued is not None and now - queued > FRESH_FOR:
        return "too late: it waited in the outbox for more than a day"
    if conversation_id is None:
        return None
    answered = conn.execute(
        "SELECT 1 FROM conversations WHERE id = ? AND last_agent_at IS NOT NULL", (conversation_id,)
    ).fetchone()
    if answered is not None:
        return "the conversation was answered before it left"
    reply = conn.execute(
        "SELECT id FROM outbox WHERE conversation_id = ? AND id != ? AND status != ? "
        "AND id NOT IN (SELECT outbox_id FROM acknowledgements WHERE outbox_id IS NOT NULL) LIMIT 1",
        (conversation_id, outbox_id, OutboxStatus.CANCELLED),
    ).fetchone()
    if reply is not None:
        return f"reply #{reply[0]} to the conversation is on its way"
    return None
