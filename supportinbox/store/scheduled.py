"""Scheduled replies the customer overtook: the rule, and keeping them as drafts.

A reply scheduled for later answers the customer's message the user saw. If the customer
writes again before it leaves, the reply may now be wrong (they found the answer, asked
something else, are angry that nobody answered): it is not sent but kept as a draft,
sent only when the user says so. An automatic answer (out of office, a bounce) is not the
customer writing again; neither is our own mail or a teammate's reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from supportinbox.domain.conversation import MessageView
from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import when_words
from supportinbox.errors import NotFound
from supportinbox.store import outbox as store
from supportinbox.store.conversations import get_conversation
from supportinbox.store.db import Database
from supportinbox.store.outbox import OutboxRow


@dataclass(frozen=True)
class Overtaken:
    """A scheduled reply kept as a draft, and why (the customer's newer message)."""

    outbox_id: int
    conversation_id: str | None
    reason: str


def _answered_id(row: OutboxRow) -> str | None:
    # The reply builder loads only when a scheduled reply is there to look at.
    from supportinbox.domain.replies import split_msgids

    headers = BytesHeaderParser(policy=compat32).parsebytes(row.raw, headersonly=True)
    found = split_msgids(str(headers.get("In-Reply-To") or ""))
    return found[-1] if found else None


def wrote(message: MessageView) -> bool:
    """A person other than us wrote ``message`` (no auto-reply, no mail posing as ours)."""
    return not message.from_us and not message.automated and not message.poses_as_us


def wrote_since(messages: Sequence[MessageView], answered: str | None, since: str) -> MessageView | None:
    """The latest message a person wrote in ``messages`` after ``since`` (the moment, ISO 8601
    UTC, of the message ``answered``, whose Message-ID it is): the customer wrote again."""
    # By the Date the mail carries (in UTC): the cache's order of arrival changes on a rebuild.
    newer = [
        m
        for m in messages
        if wrote(m) and not (answered and m.message_id == answered) and (m.date or "") > since
    ]
    return max(newer, key=lambda m: (m.date or "", m.uid), default=None)


def overtaken(db: Database, row: OutboxRow, now: datetime | None = None) -> str | None:
    """Why the scheduled reply ``row`` must not leave (the customer wrote since), or ``None``."""
    answered = _answered_id(row)
    ident = row.conversation_id
    if answered:
        found = db.conn.execute(
            "SELECT conversation_id FROM messages WHERE message_id = ? AND conversation_id IS NOT NULL",
            (answered,),
        ).fetchone()
        ident = str(found[0]) if found else ident  # a re-sync may have renamed the conversation
    if not ident:
        return None
    try:
        messages = get_conversation(db, ident, now).messages
    except NotFound:
        return None
    base = next((m for m in messages if answered and m.message_id == answered and wrote(m)), None)
    since = (base.date or "") if base is not None else row.created_at
    latest = wrote_since(messages, answered, since)
    if latest is None:
        return None
    who = one_line(latest.from_name or latest.from_addr, limit=40) or "the customer"
    when = when_words(latest.date, now)
    return f"{who} wrote again {when}, before it was sent; kept as a draft"


def keep_overtaken(db: Database, now: datetime | None = None) -> list[Overtaken]:
    """Turn every scheduled reply the customer overtook into a draft; the ones that changed."""
    kept: list[Overtaken] = []
    for row in store.scheduled_rows(db.conn):
        reason = overtaken(db, row, now)
        if reason is None:
            continue
        with db.transaction() as conn:
            if store.mark_draft(conn, row.id, reason):
                kept.append(Overtaken(row.id, row.conversation_id, reason))
    return kept
