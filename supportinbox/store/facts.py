"""Support facts for reports: what happened in each conversation, and when.

``support_events`` holds one row per customer message, reply, close and reopen. Message
events are keyed by Message-ID, so a re-sync, a UIDVALIDITY change or a cache rebuild
(which keeps the table) finds the same rows again instead of adding new ones; mail
archived or expunged on the server keeps its history. Replies count whoever sent them:
a message is ours by store/ours.py's rule (filed in Sent, or a copy of mail we sent),
so replies written in other clients count once they are in Sent, and mail that only says
``From: support@...`` is the customer's (a contact form's customer is its Reply-To
person); a reply still only in our outbox (sent, not yet filed) counts from its send time.
The agent is read from ``X-Supportinbox-Agent`` ('' for other clients).
Automated mail (auto-replies, bounces, lists, bulk: :mod:`supportinbox.domain.automated`,
classified when the message is cached) is no customer's question, and our own automatic
acknowledgements (``Auto-Submitted: auto-replied``) are no reply: the first reply is a person's.

Closes come from the manual state (who closed, when); a reopen is recorded when a
closed conversation is open again: at the customer's first message after the close,
when someone set it open by hand, or when a follow-up set on it came due (at its due
time, as the queue counts it: store.followups).

A customer who waits for us waits only while their mail does: when every message of a
wait in progress is gone from the server (deleted or moved out of the synced folders by
another client), a ``gone`` fact ends the wait when the refresh saw it go, as the queue
lets the conversation go. It answers nothing and closes nothing; when the mail comes
back, the fact is taken back and the customer waits from their message again.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from supportinbox.config import AccountConfig
from supportinbox.domain.customer import own_addresses
from supportinbox.domain.message import AGENT_HEADER
from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import iso, parse_time
from supportinbox.store.conversation_rows import message_time
from supportinbox.store.ours import OurMail, message_id_domain, our_mail
from supportinbox.store.outbox import OutboxStatus

CUSTOMER = "customer"
REPLY = "reply"
CLOSED = "closed"
REOPENED = "reopened"
GONE = "gone"
KINDS = (CUSTOMER, REPLY, CLOSED, REOPENED, GONE)

# Bumped when what is recorded changes: the next refresh then looks at every message again.
FACTS_VERSION = "1"
_UPSERT = (
    "INSERT INTO support_events(key, conversation_id, kind, at, agent, customer) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(key) DO UPDATE SET conversation_id = excluded.conversation_id "
    "WHERE support_events.conversation_id != excluded.conversation_id"
)


@functools.cache
def _agent_header() -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(AGENT_HEADER)}:[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)


def agent_of(headers: str | bytes) -> str:
    """The agent a reply names in its header block ('' when written elsewhere)."""
    if isinstance(headers, bytes):
        headers = headers.decode("utf-8", "replace")
    head = headers.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    found = _agent_header().search(head)
    return one_line(found.group(1), limit=64) if found else ""


def message_key(message_id: str | None, role: str, from_addr: str, date: str | None, subject: str) -> str:
    """The event key of a message: its Message-ID, else a digest of what identifies it."""
    if message_id:
        return "m:" + message_id
    digest = hashlib.sha256(f"{role}|{from_addr}|{date}|{subject}".encode("utf-8", "surrogatepass"))
    return "h:" + digest.hexdigest()[:24]


def record_messages(
    conn: sqlite3.Connection,
    account: AccountConfig,
    *,
    only_linked_in: str | None = None,
    ours: OurMail | None = None,
) -> int:
    """Record (or re-link) the events of the threaded messages; returns rows written.

    ``only_linked_in`` names a table of ``message`` row ids whose conversation just changed
    (the refresh's link table); without it every threaded message is looked at. ``ours``,
    when given, must tell about every message looked at.
    """
    # The refresh's own rule for which messages are threaded and whose; store/ours.py's for ours.
    from supportinbox.store.triage_refresh import THREADED_ROLES, _party

    own = own_addresses(account)
    if ours is None:
        ours = our_mail(conn, message_id_domain(account))
    changed = f"AND m.id IN (SELECT message FROM {only_linked_in})" if only_linked_in else ""
    roles = ", ".join("?" * len(THREADED_ROLES))
    owns = ", ".join("?" * len(own))
    rows = conn.execute(
        "SELECT m.message_id, f.role, m.from_addr, m.date, m.internaldate, m.subject, m.conversation_id, "
        f"CASE WHEN f.role = 'sent' OR lower(m.from_addr) IN ({owns}) THEN m.raw_headers ELSE '' END, "
        "m.automated != '', m.from_name, m.reply_to_name, m.reply_to, m.id "
        "FROM messages m JOIN folders f ON f.id = m.folder_id "
        f"WHERE f.role IN ({roles}) AND m.conversation_id IS NOT NULL {changed}",
        (*own, *THREADED_ROLES),
    )
    events = []
    for row in rows:
        (
            message_id,
            role,
            from_addr,
            date,
            internaldate,
            subject,
            conversation,
            headers,
            automated,
            from_name,
            reply_to_name,
            reply_to,
            rowid,
        ) = row
        when = message_time(date, internaldate)
        if when is None:
            continue
        address = str(from_addr).lower()
        mine = ours.is_ours(role, int(rowid))
        if automated:
            # An auto-reply, bounce or newsletter is no customer's question, and our own
            # automatic acknowledgement is no reply.
            continue
        events.append(
            (
                message_key(message_id, role, address, date, subject),
                conversation,
                REPLY if mine else CUSTOMER,
                iso(when),
                agent_of(headers) if mine else "",
                _party(
                    conn, int(rowid), mine, str(from_name), address, str(reply_to_name), str(reply_to), own
                ).email,
            )
        )
    before = conn.total_changes
    conn.executemany(_UPSERT, events)
    # A message moved to Junk (marked as spam) was no customer's question after all.
    conn.execute(
        "DELETE FROM support_events WHERE key IN (SELECT 'm:' || m.message_id FROM messages m "
        "JOIN folders f ON f.id = m.folder_id WHERE f.role = 'junk' AND m.message_id IS NOT NULL) "
        f"AND kind = '{CUSTOMER}'"
    )
    return conn.total_changes - before


def record_outbox(conn: sqlite3.Connection) -> int:
    """Record replies sent from here that are not (yet) in a synced Sent folder."""
    rows = conn.execute(
        "SELECT message_id, conversation_id, sent_at, substr(raw, 1, 16384) FROM outbox o "
        "WHERE status = ? AND conversation_id IS NOT NULL AND sent_at IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM support_events e WHERE e.key = 'm:' || o.message_id) "
        "AND o.id NOT IN (SELECT outbox_id FROM acknowledgements WHERE outbox_id IS NOT NULL)",
        (OutboxStatus.SENT,),
    ).fetchall()
    events = []
    for message_id, conversation, sent_at, head in rows:
        when = parse_time(sent_at)
        if when is not None:
            raw = bytes(head) if isinstance(head, bytes | memoryview) else str(head)
            events.append(("m:" + message_id, conversation, REPLY, iso(when), agent_of(raw), ""))
    conn.executemany(
        "INSERT OR IGNORE INTO support_events(key, conversation_id, kind, at, agent, customer) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        events,
    )
    return len(events)


def record_status(conn: sqlite3.Connection, conversation_ids: Sequence[str] | None = None) -> None:
    """Record closes and reopens of ``conversation_ids`` (every conversation when None)."""
    only = ""
    params: tuple[str, ...] = ()
    if conversation_ids is not None:
        if not conversation_ids:
            return
        only = f"AND c.id IN ({', '.join('?' * len(conversation_ids))}) "
        params = tuple(conversation_ids)
    conn.execute(
        "INSERT OR IGNORE INTO support_events(key, conversation_id, kind, at, agent) "
        f"SELECT '{CLOSED}:' || c.id || ':' || s.updated_at, c.id, '{CLOSED}', s.updated_at, s.updated_by "
        "FROM conversations c JOIN conversation_state s ON s.conversation_id = c.id "
        f"WHERE c.status = 'closed' AND s.status = 'closed' {only}",
        params,
    )
    # Conversations whose last close is not followed by a reopen, but that are not closed.
    reopened = conn.execute(
        "SELECT e.conversation_id, e.at, s.status, s.updated_at, s.updated_by, c.followup_at, "
        f"(SELECT min(x.at) FROM support_events x WHERE x.conversation_id = e.conversation_id "
        f"AND x.kind = '{CUSTOMER}' AND x.at > e.at) "
        "FROM support_events e JOIN conversations c ON c.id = e.conversation_id "
        "LEFT JOIN conversation_state s ON s.conversation_id = c.id "
        f"WHERE e.kind = '{CLOSED}' AND c.status != 'closed' {only}"
        f"AND NOT EXISTS (SELECT 1 FROM support_events r WHERE r.key = '{REOPENED}:' || e.conversation_id "
        "|| ':' || e.at) "
        "AND e.at = (SELECT max(y.at) FROM support_events y WHERE y.conversation_id = e.conversation_id "
        f"AND y.kind = '{CLOSED}')",
        params,
    ).fetchall()
    events = []
    for conversation, closed_at, manual, updated_at, updated_by, followup_at, customer_at in reopened:
        if customer_at is not None:
            at, agent = customer_at, ""
        elif manual not in (None, "closed") and updated_at and updated_at > closed_at:
            at, agent = updated_at, updated_by or ""
        elif followup_at and followup_at > closed_at:
            # A due follow-up brought it back: a reopen by hand at its due time (store.followups).
            at, agent = followup_at, ""
        else:
            at, agent = closed_at, ""
        events.append((f"{REOPENED}:{conversation}:{closed_at}", conversation, REOPENED, at, agent))
    conn.executemany(
        "INSERT OR IGNORE INTO support_events(key, conversation_id, kind, at, agent) VALUES (?, ?, ?, ?, ?)",
        events,
    )


def _chunks(values: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _cached_message_ids(conn: sqlite3.Connection, message_ids: Sequence[str]) -> set[str]:
    """Which of these Message-IDs a message in a threaded folder of the cache has."""
    from supportinbox.store.triage_refresh import THREADED_ROLES

    found: set[str] = set()
    for chunk in _chunks(message_ids):
        found.update(
            str(row[0])
            for row in conn.execute(
                "SELECT m.message_id FROM messages m JOIN folders f ON f.id = m.folder_id "
                f"WHERE m.message_id IN ({_marks(len(chunk))}) AND f.role IN ({_marks(len(THREADED_ROLES))})",
                (*chunk, *THREADED_ROLES),
            )
        )
    return found


def record_gone(
    conn: sqlite3.Connection, now: datetime, conversation_ids: Sequence[str] | None = None
) -> None:
    """End the waits whose customer mail is all gone from the cache, and take back an end
    whose mail came back (of ``conversation_ids``; every conversation when None)."""
    last_sql = (
        "SELECT conversation_id, kind, max(ts * 4 + step) FROM support_events INDEXED BY support_events_walk "
        "{} GROUP BY conversation_id"
    )
    if conversation_ids is None:
        last = conn.execute(last_sql.format("")).fetchall()
    else:
        last = []
        for chunk in _chunks(sorted(set(conversation_ids))):
            where = f"WHERE conversation_id IN ({_marks(len(chunk))})"
            last += conn.execute(last_sql.format(where), tuple(chunk)).fetchall()
    # Only a conversation whose last fact is a customer message or a gone can change here.
    candidates = [str(row[0]) for row in last if row[1] in (CUSTOMER, GONE)]
    # Per conversation: the customer messages since the last answer, and the gone that ended them.
    waits: dict[str, tuple[list[str], str | None]] = {}
    for chunk in _chunks(candidates):
        for conversation, key, kind in conn.execute(
            "SELECT conversation_id, key, kind FROM support_events "
            f"WHERE conversation_id IN ({_marks(len(chunk))}) ORDER BY conversation_id, ts, step",
            tuple(chunk),
        ):
            waiting, ended = waits.get(conversation, ([], None))
            if kind == CUSTOMER:
                waiting, ended = ([] if ended is not None else waiting), None
                waiting.append(str(key))
            elif kind == GONE:
                ended = str(key)
            elif kind in (REPLY, CLOSED):
                waiting, ended = [], None
            waits[conversation] = (waiting, ended)
    cached = _cached_message_ids(
        conn, sorted({key[2:] for waiting, _ in waits.values() for key in waiting if key.startswith("m:")})
    )
    stamp = iso(now)
    for conversation, (waiting, ended) in waits.items():
        if not waiting:
            continue
        # A message without a Message-ID cannot be looked for: never taken for gone.
        present = any(not key.startswith("m:") or key[2:] in cached for key in waiting)
        if ended is None and not present:
            conn.execute(
                "INSERT OR IGNORE INTO support_events(key, conversation_id, kind, at) VALUES (?, ?, ?, ?)",
                (f"{GONE}:{conversation}:{stamp}", conversation, GONE, stamp),
            )
        elif ended is not None and present:
            conn.execute("DELETE FROM support_events WHERE key = ?", (ended,))


def rename_conversations(conn: sqlite3.Connection, renames: dict[str, str]) -> None:
    """Move status events along with manual state when a conversation's id changes."""
    for old, new in renames.items():
        conn.execute("UPDATE support_events SET conversation_id = ? WHERE conversation_id = ?", (new, old))


def record_after_refresh(
    conn: sqlite3.Connection,
    account: AccountConfig,
    links_table: str,
    *,
    ours: OurMail | None = None,
    conversations: Sequence[str] | None = None,
    touched: Sequence[str] | None = None,
    now: datetime,
) -> None:
    """Everything a refresh may have changed: new and re-linked messages, outbox, status,
    mail gone from the server.

    A refresh of some conversations gives them (``conversations``), every conversation it
    looked at, those that lost messages included (``touched``), and what it knows of
    their messages (``ours``). The first refresh after an upgrade (or a rebuild) looks at
    every message once.
    """
    current = conn.execute("SELECT value FROM meta WHERE key = 'facts_version'").fetchone()
    complete = current is not None and current[0] == FACTS_VERSION
    if complete:
        record_messages(conn, account, only_linked_in=links_table, ours=ours)
        record_outbox(conn)
        record_status(conn, conversations)
        record_gone(conn, now, touched)
    else:
        record_messages(conn, account)
        record_outbox(conn)
        record_status(conn)
        record_gone(conn, now)
    if not complete:
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('facts_version', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (FACTS_VERSION,),
        )
