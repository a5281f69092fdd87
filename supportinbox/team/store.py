"""The team tables of the cache: shared state, its last-synced base, events, notes rows.

``conversation_state`` is the local truth the triage queue reads (any writer: these
commands, ``set_status``, the TUI). ``team_sync`` is the state last agreed with the
server; a conversation whose local state differs from it has a change to push.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from supportinbox.domain.when import said_now
from supportinbox.errors import NotFound
from supportinbox.store import pending
from supportinbox.store.db import utcnow_iso
from supportinbox.store.messages import flags_text, update_flags
from supportinbox.team.keywords import MessageFlags, TeamState

INBOX_ROLE = "inbox"


@dataclass(frozen=True)
class ConversationRef:
    """What the team code needs to know about one conversation."""

    id: str
    subject: str
    inbox_folder: str | None
    uids: tuple[int, ...]
    message_ids: tuple[str, ...]


def answered_message_ref(
    conn: sqlite3.Connection,
    conversation_id: str,
    folder: str | None,
    uid: int | None,
    message_id: str | None,
) -> ConversationRef | None:
    """The conversation a reply answers, found by the message it answers (folder and UID,
    else Message-ID) when its id is not in the cache (any more); None if that message is
    not cached either.

    The message's conversation when it is threaded; else (a refresh has not linked it yet)
    the message alone, under ``conversation_id``.
    """
    found = None
    if folder and uid is not None:
        found = conn.execute(
            "SELECT m.conversation_id, m.id FROM messages m JOIN folders f ON f.id = m.folder_id "
            "WHERE f.name = ? AND m.uid = ?",
            (folder, uid),
        ).fetchone()
    if found is None and message_id:
        found = conn.execute(
            "SELECT conversation_id, id FROM messages WHERE message_id = ? "
            "ORDER BY conversation_id IS NULL, id LIMIT 1",
            (message_id.strip(),),
        ).fetchone()
    if found is None:
        return None
    if found[0] is not None:
        with contextlib.suppress(NotFound):
            return conversation_ref(conn, str(found[0]))
    row = conn.execute(
        "SELECT m.uid, m.folder_id, m.message_id, m.subject FROM messages m WHERE m.id = ?", (found[1],)
    ).fetchone()
    inbox = _inbox(conn)
    in_inbox = inbox is not None and row[1] == inbox[0]
    return ConversationRef(
        conversation_id,
        str(row[3] or ""),
        inbox[1] if inbox else None,
        (int(row[0]),) if in_inbox else (),
        (str(row[2]),) if row[2] else (),
    )


def _inbox(conn: sqlite3.Connection) -> tuple[int, str] | None:
    row = conn.execute(
        "SELECT id, name FROM folders WHERE role = ? ORDER BY id LIMIT 1", (INBOX_ROLE,)
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def conversation_ref(conn: sqlite3.Connection, conversation_id: str) -> ConversationRef:
    """The conversation's inbox UIDs and Message-IDs; :class:`NotFound` if it is unknown."""
    row = conn.execute("SELECT subject FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
    if row is None:
        raise NotFound(f"no conversation {conversation_id!r}: see 'supportinbox list --status all'")
    inbox = _inbox(conn)
    uids: list[int] = []
    message_ids: list[str] = []
    for uid, folder_id, message_id in conn.execute(
        "SELECT uid, folder_id, message_id FROM messages WHERE conversation_id = ? "
        "ORDER BY COALESCE(date, internaldate), id",
        (conversation_id,),
    ):
        if inbox is not None and folder_id == inbox[0]:
            uids.append(int(uid))
        if message_id and message_id not in message_ids:
            message_ids.append(str(message_id))
    return ConversationRef(
        conversation_id, str(row[0]), inbox[1] if inbox else None, tuple(sorted(uids)), tuple(message_ids)
    )


def _flags(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class CachedConversation:
    """A conversation's inbox messages as the last sync left them."""

    messages: tuple[MessageFlags, ...]
    times: dict[int, str | None]


def cached_conversations(conn: sqlite3.Connection) -> dict[str, CachedConversation]:
    """Inbox flags of every conversation that has team keywords, local state or a base."""
    inbox = _inbox(conn)
    if inbox is None:
        return {}
    grouped: dict[str, list[tuple[MessageFlags, str | None]]] = defaultdict(list)
    for cid, uid, modseq, flags, date, internaldate in conn.execute(
        "SELECT conversation_id, uid, modseq, flags, date, internaldate FROM messages "
        "WHERE folder_id = ? AND conversation_id IN ("
        "  SELECT conversation_id FROM messages WHERE folder_id = ? AND flags LIKE '%$si-%'"
        "  UNION SELECT conversation_id FROM conversation_state"
        "  UNION SELECT conversation_id FROM team_sync)",
        (inbox[0], inbox[0]),
    ):
        when = min(t for t in (date, internaldate) if t) if (date or internaldate) else None
        grouped[str(cid)].append((MessageFlags(int(uid), int(modseq or 0), _flags(flags)), when))
    return {
        cid: CachedConversation(tuple(m for m, _ in rows), {m.uid: t for m, t in rows})
        for cid, rows in grouped.items()
    }


def cached_flags(conn: sqlite3.Connection, conversation_id: str) -> list[MessageFlags]:
    """The cached inbox flags of one conversation."""
    inbox = _inbox(conn)
    if inbox is None:
        return []
    return [
        MessageFlags(int(uid), int(modseq or 0), _flags(flags))
        for uid, modseq, flags in conn.execute(
            "SELECT uid, modseq, flags FROM messages WHERE folder_id = ? AND conversation_id = ? "
            "ORDER BY uid",
            (inbox[0], conversation_id),
        )
    ]


def update_cached_flags(conn: sqlite3.Connection, messages: list[MessageFlags]) -> None:
    """Record flags just read from the server so the cache shows them before the next sync.

    A flag change still queued here (a conversation marked read whose ``\\Seen`` has not
    reached the server yet) stays on top: the next flush sends it, and until then the
    cache must not show the message unread again.
    """
    inbox = _inbox(conn)
    if inbox is None:
        return
    queued: dict[int, list[pending.PendingOp]] = defaultdict(list)
    for op in pending.list_pending(conn):
        if op.kind in ("add_flags", "remove_flags") and op.payload.get("folder") == inbox[1]:
            queued[int(op.payload["uid"])].append(op)
    rows = []
    for m in messages:
        flags = set(flags_text(m.flags).split())
        for op in queued.get(m.uid, ()):
            names = {str(f) for f in op.payload.get("flags", ())}
            flags = flags | names if op.kind == "add_flags" else flags - names
        rows.append((m.uid, flags_text(flags), m.modseq or None))
    update_flags(conn, inbox[0], rows)


def local_state(conn: sqlite3.Connection, conversation_id: str) -> TeamState:
    row = conn.execute(
        "SELECT status, snoozed_until, assigned_to FROM conversation_state WHERE conversation_id = ?",
        (conversation_id,),
    ).fetchone()
    return TeamState(row[0], row[1], row[2]).normalized() if row else TeamState()


def local_updated_at(conn: sqlite3.Connection, conversation_id: str) -> str | None:
    """When the local state of the conversation was last set."""
    row = conn.execute(
        "SELECT updated_at FROM conversation_state WHERE conversation_id = ?", (conversation_id,)
    ).fetchone()
    return str(row[0]) if row and row[0] else None


def local_states(conn: sqlite3.Connection) -> dict[str, TeamState]:
    return {
        str(r[0]): TeamState(r[1], r[2], r[3]).normalized()
        for r in conn.execute(
            "SELECT conversation_id, status, snoozed_until, assigned_to FROM conversation_state"
        )
    }


def held_by(conn: sqlite3.Connection, agent: str) -> set[str]:
    """The conversations ``agent`` holds in the cache."""
    rows = conn.execute("SELECT conversation_id FROM conversation_state WHERE assigned_to = ?", (agent,))
    return {str(r[0]) for r in rows}


def base_states(conn: sqlite3.Connection) -> dict[str, TeamState]:
    return {
        str(r[0]): TeamState(r[1], r[2], r[3])
        for r in conn.execute("SELECT conversation_id, status, snoozed_until, assigned_to FROM team_sync")
    }


def base_state(conn: sqlite3.Connection, conversation_id: str) -> TeamState:
    row = conn.execute(
        "SELECT status, snoozed_until, assigned_to FROM team_sync WHERE conversation_id = ?",
        (conversation_id,),
    ).fetchone()
    return TeamState(row[0], row[1], row[2]) if row else TeamState()


def set_base(conn: sqlite3.Connection, conversation_id: str, state: TeamState) -> None:
    """Record ``state`` as what the server holds for the conversation."""
    state = state.normalized()
    conn.execute(
        "INSERT INTO team_sync(conversation_id, status, snoozed_until, assigned_to, synced_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(conversation_id) DO UPDATE SET status = excluded.status, "
        "snoozed_until = excluded.snoozed_until, assigned_to = excluded.assigned_to, "
        "synced_at = excluded.synced_at",
        (conversation_id, state.status, state.snoozed_until, state.assigned_to, utcnow_iso()),
    )


def write_local(
    conn: sqlite3.Connection,
    conversation_id: str,
    state: TeamState,
    *,
    by: str,
    updated_at: str | None = None,
    modseq: int | None = None,
) -> None:
    """Set the local state (what the queue shows) of a conversation."""
    state = state.normalized()
    conn.execute(
        "INSERT INTO conversation_state(conversation_id, status, snoozed_until, assigned_to, updated_at, "
        "updated_by, modseq) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(conversation_id) DO UPDATE SET "
        "status = excluded.status, snoozed_until = excluded.snoozed_until, "
        "assigned_to = excluded.assigned_to, updated_at = excluded.updated_at, "
        "updated_by = excluded.updated_by, modseq = COALESCE(excluded.modseq, conversation_state.modseq)",
        (
            conversation_id,
            state.status,
            state.snoozed_until,
            state.assigned_to,
            updated_at or now_iso(),
            by,
            modseq,
        ),
    )


def now_iso() -> str:
    """The cache's time format (as the triage queue writes it)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass(frozen=True)
class TeamEvent:
    """Something a teammate or a conflict did, for the sync summary and ``team status``."""

    conversation_id: str | None
    kind: str
    agent: str
    text: str
    created_at: str = ""

    def said(self, now: datetime | None = None) -> str:
        """The text with each moment in it said as every screen says a time, now (the
        text keeps moments as UTC stamps: it is read again later, in ``team status``)."""
        return said_now(self.text, now)


def add_event(conn: sqlite3.Connection, event: TeamEvent) -> None:
    conn.execute(
        "INSERT INTO team_events(conversation_id, kind, agent, text, created_at) VALUES (?, ?, ?, ?, ?)",
        (event.conversation_id, event.kind, event.agent, event.text, event.created_at or utcnow_iso()),
    )
    # Only the recent past is worth showing; keep the table small.
    conn.execute("DELETE FROM team_events WHERE id <= (SELECT MAX(id) FROM team_events) - 500")


def recent_events(conn: sqlite3.Connection, limit: int = 20) -> list[TeamEvent]:
    rows = conn.execute(
        "SELECT conversation_id, kind, agent, text, created_at FROM team_events ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [TeamEvent(r[0], str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in reversed(rows)]


def known_agents(conn: sqlite3.Connection) -> dict[str, set[str]]:
    """Agents seen in the cache, each with where: synced (announced), team slot, claim, state
    changes, notes."""
    from supportinbox.team.statefolder import cached_registry

    found: dict[str, set[str]] = defaultdict(set)
    # A registration counts only if it holds a slot: one that lost (or was forged into the
    # folder by another client) names nobody who works here.
    for agent in cached_registry(conn).values():
        found[agent].add("team slot")
    for agent, kind in conn.execute(
        "SELECT assigned_to, kind FROM team_state_log WHERE kind IN ('state', 'hello') "
        "AND assigned_to IS NOT NULL AND assigned_to != '' "
        "UNION SELECT author, 'author' FROM team_state_log WHERE author != '' "
        "AND kind NOT IN ('hello', 'agent', 'free')"
    ):
        where = {"state": "claim", "hello": "synced"}.get(str(kind), "state changes")
        found[str(agent)].add(where)
    for (assigned,) in conn.execute(
        "SELECT assigned_to FROM conversation_state WHERE assigned_to IS NOT NULL AND assigned_to != ''"
    ):
        found[str(assigned)].add("claim")
    for (author,) in conn.execute("SELECT DISTINCT author FROM notes"):
        found[str(author)].add("notes")
    return dict(found)
