"""The triage queue in the cache: threading, status, scoring and the queries over them.

:func:`refresh_conversations` recomputes every conversation from the ``messages`` table
(inbox and sent folders) and the manual ``conversation_state``; it runs after each sync.
The clock-dependent part (SLA guard, snooze wake-up) is applied by :func:`apply_clock`
with indexed UPDATEs, so :func:`list_queue` stays one indexed query even though time moves.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from supportinbox.config import AccountConfig, Config, TriageConfig
from supportinbox.domain import triage
from supportinbox.domain.conversation import (
    STATUSES,
    ConversationDetail,
    ConversationSummary,
    MessageView,
    Note,
)
from supportinbox.domain.threading import ThreadMessage, thread_messages
from supportinbox.errors import NotFound, UserError
from supportinbox.store.db import Database

THREADED_ROLES = ("inbox", "sent")
BODY_CHARS_SCORED = 4000
_ID_TEXT = re.compile(r"^[a-z2-7]{4,16}$")


# --- time helpers -----------------------------------------------------------------------


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time from the cache as an aware UTC datetime (None if unreadable)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """The cache's time format: ISO 8601 UTC to the second (sorts as text)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


# --- loading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Message:
    rowid: int
    role: str
    from_us: bool
    from_name: str
    from_addr: str
    subject: str
    when: datetime | None
    flags: frozenset[str]
    priority: int | None
    old_conversation: str | None


def _message_time(date: str | None, internaldate: str | None) -> datetime | None:
    # The Date header is the sender's clock; the arrival time bounds it so a message
    # dated in the future cannot pin itself to the top of the queue.
    sent = parse_time(date)
    arrived = parse_time(internaldate)
    if sent is None:
        return arrived
    if arrived is None:
        return sent
    return min(sent, arrived)


def _load(
    conn: sqlite3.Connection, account: AccountConfig
) -> tuple[list[ThreadMessage], dict[int, _Message]]:
    ours = account.email.lower()
    rows = conn.execute(
        "SELECT m.id, f.role, m.message_id, m.in_reply_to, m.refs, m.subject, m.from_name, m.from_addr, "
        "m.to_addrs, m.cc_addrs, m.date, m.internaldate, m.flags, m.priority, m.conversation_id "
        "FROM messages m JOIN folders f ON f.id = m.folder_id "
        f"WHERE f.role IN ({', '.join('?' * len(THREADED_ROLES))})",
        THREADED_ROLES,
    )
    threading_input: list[ThreadMessage] = []
    details: dict[int, _Message] = {}
    for row in rows:
        rowid, role, from_addr = int(row[0]), str(row[1]), str(row[7]).lower()
        from_us = role == "sent" or from_addr == ours
        when = _message_time(row[10], row[11])
        to_addrs = [a for a in f"{row[8]} {row[9]}".split() if a.lower() != ours]
        threading_input.append(
            ThreadMessage(
                rowid=rowid,
                message_id=row[2],
                in_reply_to=row[3],
                references=str(row[4]).split(),
                subject=str(row[5]),
                from_addr=from_addr,
                to_addrs=to_addrs,
                when=when,
                from_us=from_us,
            )
        )
        details[rowid] = _Message(
            rowid=rowid,
            role=role,
            from_us=from_us,
            from_name=str(row[6]),
            from_addr=from_addr,
            subject=str(row[5]),
            when=when,
            flags=frozenset(str(row[12]).split()),
            priority=row[13],
            old_conversation=row[14],
        )
    return threading_input, details


def _bodies(conn: sqlite3.Connection, rowids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for start in range(0, len(rowids), 500):
        chunk = rowids[start : start + 500]
        query = (
            f"SELECT id, substr(body_text, 1, {BODY_CHARS_SCORED}) FROM messages "
            f"WHERE id IN ({', '.join('?' * len(chunk))})"
        )
        out.update((int(r[0]), str(r[1])) for r in conn.execute(query, chunk))
    return out


# --- status fields (shared by refresh and set_status) -----------------------------------


@dataclass(frozen=True)
class _State:
    status: str | None
    snoozed_until: datetime | None
    assigned_to: str | None
    updated_at: datetime | None


def _states(conn: sqlite3.Connection) -> dict[str, _State]:
    return {
        str(r[0]): _State(r[1], parse_time(r[2]), r[3], parse_time(r[4]))
        for r in conn.execute(
            "SELECT conversation_id, status, snoozed_until, assigned_to, updated_at FROM conversation_state"
        )
    }


@dataclass(frozen=True)
class _Params:
    config: TriageConfig

    @classmethod
    def load(cls, db: Database) -> _Params:
        stored = db.get_meta("triage_config")
        if stored:
            try:
                return cls(TriageConfig.model_validate_json(stored))
            except ValueError:
                pass
        return cls(TriageConfig())


def _status_fields(
    *,
    derived: str,
    state: _State | None,
    last_customer_at: datetime | None,
    last_agent_at: datetime | None,
    last_message_at: datetime | None,
    unanswered_since: datetime | None,
    base_band: int,
    base_urgency: int,
    config: TriageConfig,
    now: datetime,
) -> dict[str, Any]:
    manual = state.status if state else None
    snoozed_until = state.snoozed_until if state else None
    status = triage.effective_status(
        derived,
        manual,
        state.updated_at if state else None,
        snoozed_until,
        last_customer_at,
        last_agent_at,
        now,
    )
    waiting: datetime | None = None
    if status in ("open", "snoozed"):
        waiting = unanswered_since
        if waiting is None and state is not None:
            waiting = snoozed_until if manual == "snoozed" else state.updated_at
        waiting = waiting or now
    deadlines = triage.sla_deadlines(waiting, config) if status in ("open", "snoozed") else None
    warn_at, due_at = deadlines if deadlines else (None, None)
    if status == "open":
        level = triage.sla_level(warn_at, due_at, now)
        band = triage.BAND_GUARD if level else base_band
        urgency = base_urgency + triage.sla_points(level)
    else:
        level, band, urgency = 0, triage.BAND_IDLE, base_urgency
    if status in ("open", "snoozed"):
        # A snoozed conversation already carries the key it will need when it wakes.
        key = triage.sort_key(config.order, last_customer_at or last_message_at, waiting)
    else:
        key = triage.sort_key("newest", last_message_at, None)
    return {
        "status": status,
        "snoozed_until": iso(snoozed_until) if status == "snoozed" else None,
        "waiting_since": iso(waiting) if status == "open" else None,
        "sla_warn_at": iso(warn_at),
        "sla_due_at": iso(due_at),
        "sla_level": level,
        "band": band,
        "urgency": urgency,
        "sort_key": key,
    }


# --- refresh ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshResult:
    conversations: int
    messages: int
    incidents: int


_CONVERSATION_COLUMNS = (
    "id",
    "subject",
    "customer_email",
    "customer_name",
    "status",
    "derived_status",
    "snoozed_until",
    "assigned_to",
    "first_message_at",
    "last_message_at",
    "last_customer_at",
    "last_agent_at",
    "waiting_since",
    "message_count",
    "unread_count",
    "followups",
    "urgency",
    "band",
    "reasons",
    "incident_id",
    "sort_key",
    "base_urgency",
    "base_band",
    "sla_warn_at",
    "sla_due_at",
    "sla_level",
    "unanswered_since",
)
_INSERT_CONVERSATION = (
    f"INSERT INTO conversations({', '.join(_CONVERSATION_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _CONVERSATION_COLUMNS)})"
)


def _config_fingerprint(config: TriageConfig, account: AccountConfig) -> str:
    text = config.model_dump_json() + "|" + account.email.lower()
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def refresh_conversations(
    db: Database, config: Config, account: AccountConfig, now: datetime | None = None
) -> RefreshResult:
    """Re-thread, re-score and re-order every conversation; link messages to them.

    Manual state whose conversation id changed (a thread gained an older root) moves
    with the messages, so a status set by hand is never lost.
    """
    moment = _now(now)
    conn = db.conn
    cfg = config.triage
    version = db.get_meta("triage_input_version") or "0"
    threading_input, details = _load(conn, account)
    threads = thread_messages(threading_input)
    states = _states(conn)
    matcher = triage.matcher_for(cfg)

    prepared: list[dict[str, Any]] = []
    facts_by_id: dict[str, tuple[dict[str, Any], list[_Message]]] = {}
    need_bodies: list[int] = []
    for thread in threads:
        messages = [details[m.rowid] for m in thread.messages]
        row, unanswered = _summarise(thread.id, messages)
        prepared.append(row)
        facts_by_id[thread.id] = (row, unanswered)
        need_bodies.extend(m.rowid for m in unanswered)
    bodies = _bodies(conn, need_bodies)

    renames = _renamed_states(threads, details, states)
    for old, new in renames.items():
        states[new] = states.pop(old)

    candidates: list[triage.IncidentCandidate] = []
    scores: dict[str, triage.Score] = {}
    for row in prepared:
        _, unanswered = facts_by_id[row["id"]]
        facts = triage.ConversationFacts(
            id=row["id"],
            customer_email=row["customer_email"],
            subject=row["subject"],
            waiting_texts=[(m.subject, bodies.get(m.rowid, "")) for m in unanswered],
            followups=row["followups"],
            high_priority=any(m.priority is not None and m.priority <= 2 for m in unanswered),
        )
        scores[row["id"]] = result = triage.score(facts, cfg, matcher)
        since = parse_time(row["unanswered_since"])
        if row["derived_status"] == "open" and since is not None:
            state = states.get(row["id"])
            if state is None or state.status in (None, "open"):
                candidates.append(
                    triage.IncidentCandidate(
                        id=row["id"],
                        customer=row["customer_email"],
                        when=since,
                        subject=row["subject"],
                        keywords=result.keywords,
                    )
                )
    incidents = {cid: inc for inc in triage.find_incidents(candidates, cfg) for cid in inc.conversation_ids}

    for row in prepared:
        result = scores[row["id"]]
        reasons = list(result.reasons)
        base_urgency, base_band = result.urgency, result.band
        incident = incidents.get(row["id"])
        if incident is not None:
            reasons.insert(0, incident.reason)
            base_urgency += triage.INCIDENT_POINTS
            base_band = max(base_band, triage.BAND_URGENT)
        state = states.get(row["id"])
        row.update(
            reasons=json.dumps(reasons, ensure_ascii=False),
            incident_id=incident.id if incident else None,
            base_urgency=base_urgency,
            base_band=base_band,
            assigned_to=state.assigned_to if state else None,
        )
        row.update(
            _status_fields(
                derived=row["derived_status"],
                state=state,
                last_customer_at=parse_time(row["last_customer_at"]),
                last_agent_at=parse_time(row["last_agent_at"]),
                last_message_at=parse_time(row["last_message_at"]),
                unanswered_since=parse_time(row["unanswered_since"]),
                base_band=base_band,
                base_urgency=base_urgency,
                config=cfg,
                now=moment,
            )
        )

    links = [
        (thread.id, m.rowid)
        for thread in threads
        for m in thread.messages
        if details[m.rowid].old_conversation != thread.id
    ]
    with db.transaction() as tx:
        for old, new in renames.items():
            tx.execute(
                "UPDATE conversation_state SET conversation_id = ? WHERE conversation_id = ?", (new, old)
            )
            tx.execute("UPDATE notes SET conversation_id = ? WHERE conversation_id = ?", (new, old))
        tx.execute("DELETE FROM conversations")
        tx.executemany(_INSERT_CONVERSATION, prepared)
        tx.executemany("UPDATE messages SET conversation_id = ? WHERE id = ?", links)
        tx.execute(
            "UPDATE messages SET conversation_id = NULL WHERE conversation_id IS NOT NULL AND folder_id IN "
            f"(SELECT id FROM folders WHERE role NOT IN ({', '.join('?' * len(THREADED_ROLES))}))",
            THREADED_ROLES,
        )
        db.set_meta("triage_config", cfg.model_dump_json())
        db.set_meta("triage_our_address", account.email.lower())
        db.set_meta("triage_refreshed", f"{version}|{_config_fingerprint(cfg, account)}")
    return RefreshResult(len(prepared), len(details), len({i.id for i in incidents.values()}))


def _summarise(conversation_id: str, messages: list[_Message]) -> tuple[dict[str, Any], list[_Message]]:
    """The clock-independent columns of one conversation and its unanswered messages."""
    customer = [m for m in messages if not m.from_us]
    agent = [m for m in messages if m.from_us]
    last_customer = customer[-1] if customer else None
    last_customer_at = last_customer.when if last_customer else None
    last_agent_at = max((m.when for m in agent if m.when), default=None)
    derived = triage.derive_status(
        last_customer_at, last_agent_at, bool(last_customer and "\\Answered" in last_customer.flags)
    )
    unanswered = (
        [m for m in customer if last_agent_at is None or (m.when is not None and m.when > last_agent_at)]
        if derived == "open"
        else []
    )
    first = messages[0]
    if customer:
        email = customer[0].from_addr
        name = next((m.from_name for m in reversed(customer) if m.from_name), "")
    else:
        email = ""
        name = ""
    times = [m.when for m in messages if m.when]
    row = {
        "id": conversation_id,
        "subject": first.subject,
        "customer_email": email,
        "customer_name": name,
        "derived_status": derived,
        "first_message_at": iso(min(times)) if times else None,
        "last_message_at": iso(max(times)) if times else None,
        "last_customer_at": iso(last_customer_at),
        "last_agent_at": iso(last_agent_at),
        "message_count": len(messages),
        "unread_count": sum(1 for m in customer if "\\Seen" not in m.flags),
        "followups": max(0, len(unanswered) - 1),
        "unanswered_since": iso(unanswered[0].when) if unanswered else None,
    }
    return row, unanswered


def _renamed_states(
    threads: Sequence[Any], details: dict[int, _Message], states: dict[str, _State]
) -> dict[str, str]:
    """Old conversation ids with manual state whose messages now form a thread with a new id."""
    new_ids = {t.id for t in threads}
    renames: dict[str, str] = {}
    for thread in threads:
        if thread.id in states:
            continue
        for message in thread.messages:
            old = details[message.rowid].old_conversation
            if old and old != thread.id and old in states and old not in new_ids and old not in renames:
                renames[old] = thread.id
                break
    return renames


def refresh_if_stale(
    db: Database, config: Config, account: AccountConfig, now: datetime | None = None
) -> bool:
    """Recompute conversations if messages or the triage config changed, else only the clock.

    Returns True when a full refresh ran.
    """
    version = db.get_meta("triage_input_version") or "0"
    wanted = f"{version}|{_config_fingerprint(config.triage, account)}"
    if db.get_meta("triage_refreshed") != wanted:
        refresh_conversations(db, config, account, now)
        return True
    apply_clock(db, now)
    return False


def apply_clock(db: Database, now: datetime | None = None) -> int:
    """Wake snoozed conversations and lift those reaching their SLA; return rows changed.

    Each step is an indexed range over the rows whose state changes, so an unchanged
    queue costs three index probes and no write.
    """
    moment = iso(_now(now))
    conn = db.conn
    due = conn.execute(
        "SELECT EXISTS(SELECT 1 FROM conversations WHERE status = 'snoozed' AND snoozed_until <= ?) "
        "OR EXISTS(SELECT 1 FROM conversations WHERE status = 'open' AND sla_level = 0 AND sla_warn_at <= ?) "
        "OR EXISTS(SELECT 1 FROM conversations WHERE status = 'open' AND sla_level IN (0, 1) "
        "AND sla_due_at <= ?)",
        (moment, moment, moment),
    ).fetchone()[0]
    if not due:
        return 0
    before = conn.total_changes
    with db.transaction() as tx:
        tx.execute(
            "UPDATE conversations SET status = 'open', band = base_band, urgency = base_urgency, "
            "sla_level = 0, waiting_since = COALESCE(unanswered_since, snoozed_until), snoozed_until = NULL "
            "WHERE status = 'snoozed' AND snoozed_until <= ?",
            (moment,),
        )
        tx.execute(
            f"UPDATE conversations SET sla_level = 2, band = {triage.BAND_GUARD}, "
            f"urgency = base_urgency + {triage.SLA_BREACH_POINTS} "
            "WHERE status = 'open' AND sla_level IN (0, 1) AND sla_due_at <= ?",
            (moment,),
        )
        tx.execute(
            f"UPDATE conversations SET sla_level = 1, band = {triage.BAND_GUARD}, "
            f"urgency = base_urgency + {triage.SLA_WARN_POINTS} "
            "WHERE status = 'open' AND sla_level = 0 AND sla_warn_at <= ?",
            (moment,),
        )
    return conn.total_changes - before


# --- reading ----------------------------------------------------------------------------

_SUMMARY_COLUMNS = (
    "id, subject, customer_email, customer_name, status, urgency, band, reasons, last_message_at, "
    "waiting_since, message_count, unread_count, assigned_to, incident_id, snoozed_until, followups, "
    "first_message_at, last_customer_at, sla_warn_at, sla_due_at"
)


def _summary(row: sqlite3.Row | tuple[Any, ...], now: datetime) -> ConversationSummary:
    try:
        reasons = [str(r) for r in json.loads(row[7])]
    except (ValueError, TypeError):
        reasons = []
    if row[4] == "open":
        sla = triage.sla_reason(parse_time(row[9]), parse_time(row[18]), parse_time(row[19]), now)
        if sla:
            reasons.insert(0, sla)
    return ConversationSummary(
        id=row[0],
        subject=row[1],
        customer_email=row[2],
        customer_name=row[3],
        status=row[4],
        urgency=int(row[5]),
        band=int(row[6]),
        reasons=reasons,
        last_message_at=row[8],
        waiting_since=row[9],
        message_count=int(row[10]),
        unread_count=int(row[11]),
        assigned_to=row[12],
        incident_id=row[13],
        snoozed_until=row[14],
        followups=int(row[15]),
        first_message_at=row[16],
        last_customer_at=row[17],
    )


def list_queue(
    db: Database,
    *,
    status: str = "open",
    limit: int = 50,
    offset: int = 0,
    assigned_to: str | None = None,
    unassigned: bool = False,
    now: datetime | None = None,
) -> list[ConversationSummary]:
    """The triage queue, most urgent first (``status="all"`` lists every conversation).

    The clock is applied first (:func:`apply_clock`); the page itself is one query over
    the ``conversations_queue`` index.
    """
    moment = _now(now)
    apply_clock(db, moment)
    where: list[str] = []
    params: list[Any] = []
    if status != "all":
        if status not in STATUSES:
            raise UserError(f"unknown status {status!r}: use one of {', '.join((*STATUSES, 'all'))}")
        where.append("status = ?")
        params.append(status)
    if assigned_to is not None:
        where.append("assigned_to = ?")
        params.append(assigned_to)
    if unassigned:
        where.append("(assigned_to IS NULL OR assigned_to = '')")
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    order = (
        "ORDER BY status, band DESC, sort_key DESC"
        if status != "all"
        else "ORDER BY band DESC, sort_key DESC"
    )
    rows = db.conn.execute(
        f"SELECT {_SUMMARY_COLUMNS} FROM conversations {clause}{order} LIMIT ? OFFSET ?",
        (*params, max(0, limit), max(0, offset)),
    ).fetchall()
    return [_summary(r, moment) for r in rows]


def queue_counts(db: Database) -> dict[str, int]:
    """How many conversations have each status."""
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for status, count in db.conn.execute("SELECT status, COUNT(*) FROM conversations GROUP BY status"):
        counts[str(status)] = int(count)
    return counts


def resolve_id(db: Database, text: str) -> str:
    """The conversation id that ``text`` names (the whole id or a unique prefix of 4+ chars)."""
    wanted = text.strip().lower()
    if not _ID_TEXT.match(wanted):
        raise NotFound(
            f"{text!r} is not a conversation id (ids look like 'k3m9x2qa'; see 'supportinbox list')"
        )
    rows = db.conn.execute(
        "SELECT id FROM conversations WHERE id >= ? AND id < ? ORDER BY id LIMIT 2", (wanted, wanted + "~")
    ).fetchall()
    exact = [r[0] for r in rows if r[0] == wanted]
    if exact:
        return str(exact[0])
    if len(rows) == 1:
        return str(rows[0][0])
    if not rows:
        raise NotFound(f"no conversation {text!r}: see 'supportinbox list --status all'")
    raise NotFound(f"{text!r} matches several conversations: type more of the id")


def get_conversation(db: Database, conversation_id: str, now: datetime | None = None) -> ConversationDetail:
    """A conversation with all its messages (oldest first) and notes."""
    ident = resolve_id(db, conversation_id)
    row = db.conn.execute(f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE id = ?", (ident,)).fetchone()
    if row is None:
        raise NotFound(f"no conversation {conversation_id!r}")
    summary = _summary(row, _now(now))
    ours = _our_addresses(db)
    messages = [
        _message_view(r, ours)
        for r in db.conn.execute(
            "SELECT m.id, f.name, f.role, m.uid, m.message_id, m.in_reply_to, m.refs, m.from_name, "
            "m.from_addr, m.to_addrs, m.cc_addrs, m.date, m.subject, m.body_text, m.flags, m.attachments, "
            "m.reply_to, m.internaldate FROM messages m JOIN folders f ON f.id = m.folder_id "
            "WHERE m.conversation_id = ?",
            (ident,),
        )
    ]
    messages.sort(key=lambda m: (m.date or "", m.rowid))
    notes = [
        Note(author=str(r[0]), created_at=str(r[1]), body=str(r[2]))
        for r in db.conn.execute(
            "SELECT author, created_at, body FROM notes WHERE conversation_id = ? ORDER BY created_at, id",
            (ident,),
        )
    ]
    return ConversationDetail(summary=summary, messages=messages, notes=notes)


def _our_addresses(db: Database) -> set[str]:
    # The sent folder is ours by definition; anything else is ours when sent from the
    # address the account replies from (recorded by the last refresh).
    stored = db.get_meta("triage_our_address")
    return {stored} if stored else set()


def _message_view(row: sqlite3.Row | tuple[Any, ...], ours: set[str]) -> MessageView:
    try:
        attachments = [a for a in json.loads(row[15]) if isinstance(a, dict)]
    except (ValueError, TypeError):
        attachments = []
    when = _message_time(row[11], row[17])
    return MessageView(
        rowid=int(row[0]),
        folder=str(row[1]),
        folder_role=str(row[2]),
        uid=int(row[3]),
        message_id=row[4],
        in_reply_to=row[5],
        refs=str(row[6]).split(),
        from_name=str(row[7]),
        from_addr=str(row[8]),
        to=str(row[9]).split(),
        cc=str(row[10]).split(),
        date=iso(when),
        subject=str(row[12]),
        body_text=str(row[13]),
        flags=str(row[14]).split(),
        attachments=attachments,
        from_us=row[2] == "sent" or str(row[8]).lower() in ours,
        reply_to=str(row[16]),
    )


# --- manual status ----------------------------------------------------------------------


def set_status(
    db: Database,
    conversation_id: str,
    status: str,
    *,
    agent: str,
    snoozed_until: datetime | None = None,
    now: datetime | None = None,
) -> ConversationSummary:
    """Set a conversation's status by hand (recorded in ``conversation_state``).

    ``snoozed`` needs ``snoozed_until`` in the future; the conversation comes back as
    open at that time, or earlier when the customer writes. A closed conversation
    reopens when the customer writes after it was closed.
    """
    moment = _now(now)
    if status not in STATUSES:
        raise UserError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    until = None
    if status == "snoozed":
        if snoozed_until is None:
            raise UserError("snoozing needs a time: --until 2026-12-01T09:00 or --for 3d")
        until = snoozed_until.replace(tzinfo=UTC) if snoozed_until.tzinfo is None else snoozed_until
        if until <= moment:
            raise UserError(f"snooze time {iso(until)} is not in the future")
    elif snoozed_until is not None:
        raise UserError("a snooze time only goes with the status 'snoozed'")
    ident = resolve_id(db, conversation_id)
    config = _Params.load(db).config
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO conversation_state(conversation_id, status, snoozed_until, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(conversation_id) DO UPDATE SET status = excluded.status, "
            "snoozed_until = excluded.snoozed_until, updated_at = excluded.updated_at, "
            "updated_by = excluded.updated_by",
            (ident, status, iso(until), iso(moment), agent),
        )
        _reapply(tx, ident, config, moment)
    return get_conversation(db, ident, moment).summary


def reapply_state(db: Database, conversation_ids: Iterable[str], now: datetime | None = None) -> None:
    """Re-derive status, band and order of conversations whose manual state changed.

    For state that arrives from teammates: cheaper than a full refresh.
    """
    moment = _now(now)
    config = _Params.load(db).config
    with db.transaction() as tx:
        for ident in conversation_ids:
            _reapply(tx, ident, config, moment)


def _reapply(conn: sqlite3.Connection, ident: str, config: TriageConfig, now: datetime) -> None:
    row = conn.execute(
        "SELECT derived_status, last_customer_at, last_agent_at, last_message_at, unanswered_since, "
        "base_band, base_urgency FROM conversations WHERE id = ?",
        (ident,),
    ).fetchone()
    if row is None:
        return
    state_row = conn.execute(
        "SELECT status, snoozed_until, assigned_to, updated_at FROM conversation_state "
        "WHERE conversation_id = ?",
        (ident,),
    ).fetchone()
    state = (
        _State(state_row[0], parse_time(state_row[1]), state_row[2], parse_time(state_row[3]))
        if state_row
        else None
    )
    fields = _status_fields(
        derived=row[0],
        state=state,
        last_customer_at=parse_time(row[1]),
        last_agent_at=parse_time(row[2]),
        last_message_at=parse_time(row[3]),
        unanswered_since=parse_time(row[4]),
        base_band=int(row[5]),
        base_urgency=int(row[6]),
        config=config,
        now=now,
    )
    fields["assigned_to"] = state.assigned_to if state else None
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    conn.execute(f"UPDATE conversations SET {assignments} WHERE id = :id", {**fields, "id": ident})


# --- search -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search: free text for the full-text index plus filters."""

    terms: tuple[str, ...]
    senders: tuple[str, ...]
    statuses: tuple[str, ...]
    urgent: bool
    unread: bool


def parse_query(text: str) -> SearchQuery:
    """Split ``text`` into free-text terms and ``from:``/``status:``/``is:`` filters."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.replace('"', " ").split()
    terms: list[str] = []
    senders: list[str] = []
    statuses: list[str] = []
    urgent = unread = False
    for word in words:
        key, sep, value = word.partition(":")
        key = key.lower()
        if sep and key == "from" and value:
            senders.append(value.lower())
        elif sep and key == "status" and value:
            if value.lower() not in (*STATUSES, "all"):
                raise UserError(f"unknown status in {word!r}: use one of {', '.join(STATUSES)}")
            if value.lower() != "all":
                statuses.append(value.lower())
        elif sep and key == "is" and value:
            if value.lower() == "urgent":
                urgent = True
            elif value.lower() == "unread":
                unread = True
            else:
                raise UserError(f"unknown filter {word!r}: use is:urgent or is:unread")
        elif word.strip():
            terms.append(word)
    return SearchQuery(tuple(terms), tuple(senders), tuple(statuses), urgent, unread)


def fts_expression(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression where user text is only ever a quoted string.

    Every term becomes ``"term"*`` (prefix match; a phrase stays a phrase), so operators,
    column filters and brackets typed by the user are searched for, not interpreted.
    """
    parts = []
    for term in terms:
        cleaned = term.replace("\x00", "").strip()
        if cleaned:
            parts.append('"' + cleaned.replace('"', '""') + '"*')
    return " ".join(parts)


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(
    db: Database, query: str, *, limit: int = 50, now: datetime | None = None
) -> list[ConversationSummary]:
    """Conversations matching ``query``, most urgent first.

    Free text is searched in subject, sender and body of every message; ``from:x``
    matches the customer's address or name, ``status:open`` the status, ``is:urgent``
    band 2 and above, ``is:unread`` unread customer messages.
    """
    moment = _now(now)
    apply_clock(db, moment)
    parsed = parse_query(query)
    where: list[str] = []
    params: list[Any] = []
    expression = fts_expression(parsed.terms)
    if expression:
        where.append(
            "c.id IN (SELECT m.conversation_id FROM messages_fts "
            "JOIN messages m ON m.id = messages_fts.rowid "
            "WHERE messages_fts MATCH ? AND m.conversation_id IS NOT NULL)"
        )
        params.append(expression)
    for sender in parsed.senders:
        where.append("(c.customer_email LIKE ? ESCAPE '\\' OR c.customer_name LIKE ? ESCAPE '\\')")
        params.extend([_like(sender), _like(sender)])
    if parsed.statuses:
        where.append(f"c.status IN ({', '.join('?' * len(parsed.statuses))})")
        params.extend(parsed.statuses)
    if parsed.urgent:
        where.append(f"c.band >= {triage.BAND_URGENT}")
    if parsed.unread:
        where.append("c.unread_count > 0")
    if not where:
        raise UserError(
            "nothing to search for: give words, from:ADDRESS, status:STATUS, is:urgent or is:unread"
        )
    columns = ", ".join(f"c.{c.strip()}" for c in _SUMMARY_COLUMNS.split(","))
    try:
        rows = db.conn.execute(
            f"SELECT {columns} FROM conversations c WHERE {' AND '.join(where)} "
            "ORDER BY c.band DESC, c.sort_key DESC LIMIT ?",
            (*params, max(0, limit)),
        ).fetchall()
    except sqlite3.OperationalError as exc:
        raise UserError(f"cannot search for {query!r}: {exc}") from None
    return [_summary(r, moment) for r in rows]
