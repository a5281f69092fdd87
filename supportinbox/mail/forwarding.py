"""Forwarding a conversation (the CLI's ``forward``): built from the cache, sent through the outbox.

The forward is queued like a reply (never lost, never sent twice) but belongs to no
conversation in the outbox: it is not our answer to the customer, so it neither flags the
customer's message ``\\Answered``, nor counts as a reply in the reports, nor makes the next
reply ask "send a second reply?". It is not filed in Sent either (there it would become a
conversation of its own, waiting for an answer); the caller records it on the conversation
as a note.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from supportinbox.config import AccountConfig
from supportinbox.domain.forward import ForwardedMessage, build_forward
from supportinbox.mail.outbox import queue_reply
from supportinbox.store.conversations import get_conversation
from supportinbox.store.db import Database


def build(
    db: Database,
    account: AccountConfig,
    conversation_id: str,
    to: str,
    *,
    note: str = "",
    excerpt: int | None = None,
    now: datetime | None = None,
) -> tuple[str, int, EmailMessage]:
    """(conversation id, how many messages, the forward) for ``conversation_id``.

    ``excerpt``: only its last N messages (oldest first among them).
    """
    detail = get_conversation(db, conversation_id, now)
    messages = detail.messages[-excerpt:] if excerpt else detail.messages
    forwarded = [
        ForwardedMessage(
            from_name=m.from_name,
            from_addr=m.from_addr,
            date=m.date,
            subject=m.subject,
            body=m.body_text,
            to=tuple(m.to),
            attachments=tuple(str(a.get("filename") or "attachment") for a in m.attachments),
        )
        for m in messages
    ]
    msg = build_forward(
        forwarded, account, to, subject=detail.summary.subject, note=note, now=now, conversation_id=detail.id
    )
    return detail.summary.id, len(forwarded), msg


def queue(db: Database, msg: EmailMessage) -> int:
    """Put the forward in the outbox (no conversation: see the module doc); its outbox id."""
    return queue_reply(db, msg, None, None, None, None, None, None)
