"""The triage queue in the cache: listing, reading, manual status and search.

The queue itself is computed by :func:`refresh_conversations` after each sync (see
:mod:`supportinbox.store.triage_refresh`); every read applies the clock first
(:func:`apply_clock`) and is then one indexed query.
"""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from supportinbox.domain import sla
from supportinbox.domain.conversation import (
    QUEUE_STATUSES,
    STATUSES,
    ConversationDetail,
    ConversationSummary,
    MessageView,
    Note,
)
from supportinbox.domain.keywords import spellings
from supportinbox.domain.safetext import clean
from supportinbox.domain.tags import normalize_tag
from supportinbox.domain.when import as_utc, iso, now_utc, parse_time
from supportinbox.errors import NotFound, UsageProblem, UserError
from supportinbox.store import facts
from supportinbox.store.conversation_rows import (
    IdKind,
    State,
    StoredTriageConfig,
    message_time,
    queue_columns,
    resolve_prefix,
    status_fields,
    summary_from_row,
)
from supportinbox.store.db import Database
from supportinbox.store.followups import followup_of, with_followup
from supportinbox.store.ours import OurMail, our_mail, our_mail_among, poses_as_us
from supportinbox.store.queue import list_queue, with_scheduled
from supportinbox.store.rows import columns, load, sql
from supportinbox.store.threadlinks import merged_away, merged_into
from supportinbox.store.triage_fresh import (
    RefreshResult,
    apply_clock,
    rebuild_conversations,
    refresh_conversations,
    refresh_if_stale,
)

__all__ = [
    "RefreshResult",
    "SearchQuery",
    "apply_clock",
    "customer_conversations",
    "fts_expression",
    "get_conversation",
    "list_queue",
    "parse_query",
    "queue_counts",
    "reapply_state",
    "rebuild_conversations",
    "refresh_conversations",
    "refresh_if_stale",
    "resolve_id",
    "search",
    "set_status",
    "sla_watch",
]

CONVERSATION_IDS = IdKind(
    table="conversations",
    noun="conversation",
    article="a",
    shape=re.compile(r"^[a-z2-7]{4,16}$"),
    example="k3m7x2qa",
    listing="supportinbox list",
    listing_all="supportinbox list --status all",
)


# --- reading ----------------------------------------------------------------------------


def sla_watch(
    db: Database, *, warnings: bool = False, now: datetime | None = None
) -> list[ConversationSummary]:
    """Open conversations past their SLA (and, with ``warnings``, close to it), the most overdue first."""
    moment = now_utc(now)
    apply_clock(db, moment)
    lowest = sla.LEVEL_WARN if warnings else sla.LEVEL_BREACHED
    rows = db.conn.execute(
        f"SELECT {queue_columns()} FROM conversations INDEXED BY conversations_sla_due "
        "WHERE status = 'open' AND sla_level >= ? ORDER BY sla_level DESC, sla_due_at",
        (lowest,),
    ).fetchall()
    return [summary_from_row(r, moment) for r in rows]


def queue_position(db: Database, conversation_id: str, status: str = "open") -> int | None:
    """Where ``conversation_id`` stands in the queue :func:`list_queue` gives for ``status``
    (0-based), or None when it is not in that view. Three index range counts."""
    row = db.conn.execute(
        "SELECT rowid, status, band, sort_key FROM conversations WHERE id = ?", (conversation_id,)
    ).fetchone()
    if row is None or (status != "all" and row["status"] != status):
        return None
    rowid, band, key = row["rowid"], row["band"], row["sort_key"]
    scope, params = ("status = ? AND ", [status]) if status != "all" else ("", [])
    before = 0
    for extra, values in (
        ("band > ?", [band]),
        ("band = ? AND sort_key > ?", [band, key]),
        ("band = ? AND sort_key = ? AND rowid < ?", [band, key, rowid]),
    ):
        found = db.conn.execute(
            f"SELECT COUNT(*) FROM conversations WHERE {scope}{extra}", (*params, *values)
        )
        before += int(found.fetchone()[0])
    return before


def customer_conversations(
    db: Database, email: str, *, exclude: str = "", limit: int = 20, now: datetime | None = None
) -> list[ConversationSummary]:
    """Every conversation of the customer ``email`` (exactly), most urgent first, but ``exclude``.

    One probe of the ``conversations_customer`` index, so knowing a customer's history
    costs the same in a mailbox of any size.
    """
    if not email.strip():
        return []  # mail that names nobody (a no-reply sender) is no customer's history
    moment = now_utc(now)
    apply_clock(db, moment)
    rows = db.conn.execute(
        f"SELECT {queue_columns()} FROM conversations INDEXED BY conversations_customer "
        f"WHERE customer_email = ? AND id != ? ORDER BY {sla.queue_order_sql()} LIMIT ?",
        (email.strip().lower(), exclude, max(0, limit)),
    ).fetchall()
    return [summary_from_row(r, moment) for r in rows]


def queue_counts(db: Database) -> dict[str, int]:
    """How many conversations have each status."""
    counts: dict[str, int] = dict.fromkeys(QUEUE_STATUSES, 0)
    for status, count in db.conn.execute("SELECT status, COUNT(*) FROM conversations GROUP BY status"):
        counts[str(status)] = int(count)
    return counts


def resolve_id(db: Database, text: str) -> str:
    """The conversation id that ``text`` names (the whole id or a unique prefix of 4+ chars).

    An id merged into another conversation (or a prefix of one, as typed before the merge)
    is not found, and the error says where it went.
    """
    try:
        return resolve_prefix(db.conn, CONVERSATION_IDS, text)
    except NotFound:
        wanted = text.strip().lower()
        into = merged_into(db.conn, wanted)
        if into is not None:
            raise NotFound(f"conversation {text.strip()} was merged into {into}: use {into}") from None
        away = merged_away(db.conn, wanted) if CONVERSATION_IDS.shape.match(wanted) else None
        if away is None:
            raise
        raise NotFound(f"conversation {away[0]} was merged into {away[1]}: use {away[1]}") from None


def get_conversation(db: Database, conversation_id: str, now: datetime | None = None) -> ConversationDetail:
    """A conversation with all its messages (oldest first) and notes."""
    ident = resolve_id(db, conversation_id)
    moment = now_utc(now)
    apply_clock(db, moment)
    row = db.conn.execute(f"SELECT {queue_columns()} FROM conversations WHERE id = ?", (ident,)).fetchone()
    if row is None:
        raise NotFound(f"no conversation {conversation_id!r}")
    (summary,) = with_scheduled(db, [summary_from_row(row, moment)], moment)
    mine = our_mail(db.conn, db.get_meta("our_message_id_domain") or "", ident)
    own = [db.get_meta("triage_our_address") or ""]
    messages = [
        _message_view(r, mine, own)
        for r in db.conn.execute(
            f"SELECT {columns(_MessageRow, 'm.')} FROM messages m "
            "JOIN folders f ON f.id = m.folder_id WHERE m.conversation_id = ?",
            (ident,),
        )
    ]
    # Within one second, each folder's mail in the order it arrived (its UIDs: a sync stores
    # the newest first, so row ids run backwards) and ours after the customer's.
    messages.sort(key=lambda m: (m.date or "", m.folder_role == "sent", m.folder, m.uid))
    notes = [
        Note(author=str(r[0]), created_at=str(r[1]), body=str(r[2]))
        for r in db.conn.execute(
            "SELECT author, created_at, body FROM notes WHERE conversation_id = ? ORDER BY created_at, id",
            (ident,),
        )
    ]
    return ConversationDetail(summary=summary, messages=messages, notes=notes)


def get_message(db: Database, rowid: int) -> MessageView:
    """One cached message as the conversation view shows it, whatever folder it is in: a
    Junk suspect read before it is rescued (it belongs to no conversation yet)."""
    row = db.conn.execute(
        f"SELECT {columns(_MessageRow, 'm.')} FROM messages m JOIN folders f ON f.id = m.folder_id "
        "WHERE m.id = ?",
        (rowid,),
    ).fetchone()
    if row is None:
        raise NotFound("that message is no longer in the cache: it was moved or deleted on the server")
    mine = our_mail_among(db.conn, db.get_meta("our_message_id_domain") or "", [rowid])
    return _message_view(row, mine, [db.get_meta("triage_our_address") or ""])


@dataclass(slots=True)
class _MessageRow:
    """The columns of a message the conversation view shows (see :mod:`supportinbox.store.rows`)."""

    id: int
    folder: str = field(metadata=sql("f.name"))
    folder_role: str = field(metadata=sql("f.role"))
    uid: int
    message_id: str | None
    in_reply_to: str | None
    refs: str
    from_name: str
    from_addr: str
    to_addrs: str
    cc_addrs: str
    date: str | None
    subject: str
    body_text: str
    flags: str
    attachments: str | None
    reply_to: str
    internaldate: str | None
    reply_to_name: str
    automated: str
    automated_reason: str
    bounce_recipient: str
    bounce_reason: str


def _message_view(row: Sequence[Any], mine: OurMail, own: list[str]) -> MessageView:
    message = load(_MessageRow, row)
    try:
        attachments = [a for a in json.loads(message.attachments or "") if isinstance(a, dict)]
    except (ValueError, TypeError):
        attachments = []
    ours = mine.is_ours(str(message.folder_role), int(message.id))
    return MessageView(
        rowid=int(message.id),
        folder=str(message.folder),
        folder_role=str(message.folder_role),
        uid=int(message.uid),
        message_id=message.message_id,
        in_reply_to=message.in_reply_to,
        refs=str(message.refs).split(),
        from_name=str(message.from_name),
        from_addr=str(message.from_addr),
        to=str(message.to_addrs).split(),
        cc=str(message.cc_addrs).split(),
        date=iso(message_time(message.date, message.internaldate)),
        subject=str(message.subject),
        body_text=str(message.body_text),
        flags=str(message.flags).split(),
        attachments=attachments,
        from_us=ours,
        poses_as_us=not ours
        and poses_as_us(str(message.from_addr), str(message.reply_to), own, str(message.body_text)),
        reply_to=str(message.reply_to),
        reply_to_name=str(message.reply_to_name),
        automated=str(message.automated),
        automated_reason=str(message.automated_reason),
        bounce_recipient=str(message.bounce_recipient),
        bounce_reason=str(message.bounce_reason),
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
    moment = now_utc(now)
    if status not in STATUSES:
        raise UserError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    until = None
    if status == "snoozed":
        if snoozed_until is None:
            raise UserError("snoozing needs a time to wake the conversation up")
        until = as_utc(snoozed_until)
        if until <= moment:
            raise UserError(f"snooze time {iso(until)} is not in the future")
    elif snoozed_until is not None:
        raise UserError("a snooze time only goes with the status 'snoozed'")
    ident = resolve_id(db, conversation_id)
    stored = StoredTriageConfig.load(db)
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO conversation_state(conversation_id, status, snoozed_until, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(conversation_id) DO UPDATE SET status = excluded.status, "
            "snoozed_until = excluded.snoozed_until, updated_at = excluded.updated_at, "
            "updated_by = excluded.updated_by",
            (ident, status, iso(until), iso(moment), agent),
        )
        _reapply(tx, ident, stored, moment)
        facts.record_status(tx, [ident])
    return get_conversation(db, ident, moment).summary


def reapply_state(db: Database, conversation_ids: Iterable[str], now: datetime | None = None) -> None:
    """Re-derive status, band and order of conversations whose manual state changed.

    For state that arrives from teammates: cheaper than a full refresh.
    """
    moment = now_utc(now)
    stored = StoredTriageConfig.load(db)
    idents = list(conversation_ids)
    with db.transaction() as tx:
        for ident in idents:
            _reapply(tx, ident, stored, moment)
        facts.record_status(tx, idents)


def _reapply(conn: sqlite3.Connection, ident: str, stored: StoredTriageConfig, now: datetime) -> None:
    row = conn.execute(
        "SELECT derived_status, last_customer_at, last_agent_at, last_message_at, unanswered_since, "
        "base_band, base_urgency, customer_email, first_message_at FROM conversations WHERE id = ?",
        (ident,),
    ).fetchone()
    if row is None:
        return
    (
        derived,
        last_customer_at,
        last_agent_at,
        last_message_at,
        unanswered_since,
        base_band,
        base_urgency,
        customer_email,
        first_message_at,
    ) = row
    state_row = conn.execute(
        "SELECT status, snoozed_until, assigned_to, updated_at FROM conversation_state "
        "WHERE conversation_id = ?",
        (ident,),
    ).fetchone()
    state = (
        State(state_row[0], parse_time(state_row[1]), state_row[2], parse_time(state_row[3]))
        if state_row
        else None
    )
    customer_at, agent_at = parse_time(last_customer_at), parse_time(last_agent_at)
    config = stored.config

    def compute(manual: State | None, lifted_close_at: datetime | None) -> dict[str, Any]:
        return status_fields(
            derived=derived,
            state=manual,
            last_customer_at=customer_at,
            last_agent_at=agent_at,
            last_message_at=parse_time(last_message_at),
            unanswered_since=parse_time(unanswered_since),
            base_band=int(base_band),
            base_urgency=int(base_urgency),
            config=config,
            policy=stored.policy,
            customer_email=str(customer_email),
            first_message_at=parse_time(first_message_at),
            now=now,
            lifted_close_at=lifted_close_at,
        )

    fields = with_followup(
        compute,
        state,
        followup_of(conn, ident),
        last_customer_at=customer_at,
        last_agent_at=agent_at,
        reminder_days=config.pending_reminder_days,
        order=config.order,
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
    tags: tuple[str, ...] = ()
    # Who holds it: agent names, NOBODY for unclaimed, ME for the searching agent.
    owners: tuple[str, ...] = ()


NOBODY = "nobody"
ME = "me"


def parse_query(text: str) -> SearchQuery:
    """Split ``text`` into free-text terms and ``from:``/``status:``/``owner:``/``is:`` filters.

    Text copied from our own output brings the isolates around a right-to-left field (and
    a pasted line may bring escapes or controls): they are no part of any word.
    """
    text = clean(text)
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    terms: list[str] = []
    senders: list[str] = []
    statuses: list[str] = []
    tags: list[str] = []
    owners: list[str] = []
    urgent = unread = False
    for word in words:
        key, sep, value = word.partition(":")
        key = key.lower()
        if sep and key == "from" and value:
            senders.append(value.lower())
        elif sep and key == "owner" and value:
            owners.append(value.lower() if value.lower() in (NOBODY, ME) else value)
        elif sep and key == "status" and value:
            if value.lower() not in (*QUEUE_STATUSES, "all"):
                raise UsageProblem(
                    f"unknown status in {word!r}: use one of {', '.join((*QUEUE_STATUSES, 'all'))}"
                )
            if value.lower() != "all":
                statuses.append(value.lower())
        elif sep and key == "tag" and value:
            tag = normalize_tag(value)
            if tag is None:
                raise UsageProblem(f"{word!r}: a tag is one word of letters, digits, '-' or '_'")
            tags.append(tag)
        elif sep and key == "is" and value:
            if value.lower() == "urgent":
                urgent = True
            elif value.lower() == "unread":
                unread = True
            else:
                raise UsageProblem(f"unknown filter {word!r}: use is:urgent or is:unread")
        elif word.strip():
            terms.append(word)
    return SearchQuery(
        tuple(terms), tuple(senders), tuple(statuses), urgent, unread, tuple(tags), tuple(owners)
    )


def fts_expression(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression where user text is only ever a quoted string.

    Every term becomes ``"term"*`` (prefix match; a phrase stays a phrase), so operators,
    column filters and brackets typed by the user are searched for, not interpreted. An
    Arabic or Persian term is any of its spellings (:func:`~supportinbox.domain.keywords.spellings`).
    """
    parts = []
    for term in terms:
        cleaned = term.replace("\x00", "").strip()
        if cleaned:
            # Every spelling of an Arabic or Persian word (keyboards differ): any of them.
            quoted = ['"' + spelled.replace('"', '""') + '"*' for spelled in spellings(cleaned)]
            parts.append(quoted[0] if len(quoted) == 1 else f"({' OR '.join(quoted)})")
    return " AND ".join(parts)  # FTS5 reads no implicit AND after a bracket


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(
    db: Database, query: str, *, limit: int = 50, now: datetime | None = None, me: str | None = None
) -> list[ConversationSummary]:
    """Conversations matching ``query``, most urgent first.

    Free text is searched in subject, sender and body of every message; ``from:x``
    matches the customer's address or name, ``status:open`` the status, ``is:urgent``
    urgent conversations and incidents (what the problem is, not how long it has waited:
    a routine question past its SLA is not urgent), ``is:unread`` unread customer
    messages, ``tag:billing`` conversations with that tag, ``owner:bob`` those bob holds
    (``owner:me``: the agent ``me``; ``owner:nobody``: unclaimed ones).
    """
    moment = now_utc(now)
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
        where.append(sla.urgent_sql("c."))
    if parsed.unread:
        where.append("c.unread_count > 0")
    for tag in parsed.tags:
        where.append("c.id IN (SELECT conversation_id FROM tags WHERE tag = ?)")
        params.append(tag)
    for owner in parsed.owners:
        if owner == NOBODY:
            where.append("(c.assigned_to IS NULL OR c.assigned_to = '')")
            continue
        if owner == ME and not me:
            raise UserError("owner:me needs this account's agent name: set agent in the account's config")
        where.append("c.assigned_to = ?")
        params.append(me if owner == ME else owner)
    if not where:
        raise UsageProblem(
            "nothing to search for: give words, from:ADDRESS, status:STATUS, tag:TAG, owner:AGENT, "
            "is:urgent or is:unread"
        )
    columns = queue_columns("c.")
    try:
        rows = db.conn.execute(
            f"SELECT {columns} FROM conversations c WHERE {' AND '.join(where)} "
            f"ORDER BY {sla.queue_order_sql('c.')} LIMIT ?",
            (*params, max(0, limit)),
        ).fetchall()
    except sqlite3.OperationalError as exc:
        raise UserError(f"cannot search for {query!r}: {exc}") from None
    return with_scheduled(db, [summary_from_row(r, moment) for r in rows], moment)
