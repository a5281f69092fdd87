"""Forwarding a conversation (the CLI's ``forward``): built from the cache, sent through the outbox.

The forward is queued like a reply (never lost, never sent twice) but belongs to no
conversation in the outbox: it is not our answer to the customer, so it neither flags the
customer's message ``\\Answered``, nor counts as a reply in the reports, nor makes the next
reply ask "send a second reply?". It is not filed in Sent either (there it would become a
conversation of its own, waiting for an answer); the caller records it on the conversation
as a note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from supportinbox.config import AccountConfig
from supportinbox.domain.conversation import MessageView
from supportinbox.domain.forward import MAX_ATTACHED_BYTES, AttachedFile, ForwardedMessage, build_forward
from supportinbox.domain.replies import ReplyError
from supportinbox.mail.outbox import queue_reply
from supportinbox.store.conversations import get_conversation
from supportinbox.store.db import Database

if TYPE_CHECKING:
    from imapclient import IMAPClient

#: How a forward gets one attachment of a message: its bytes, decoded.
AttachmentFetch = Callable[[MessageView, dict[str, Any]], bytes]


def build(
    db: Database,
    account: AccountConfig,
    conversation_id: str,
    to: str,
    *,
    note: str = "",
    excerpt: int | None = None,
    now: datetime | None = None,
    fetch: AttachmentFetch | None = None,
) -> tuple[str, int, EmailMessage]:
    """(conversation id, how many messages, the forward) for ``conversation_id``.

    ``excerpt``: only its last N messages (oldest first among them). ``fetch``: how to get
    their attachments, which then go with the forward (without it they are only named).
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
    files = None if fetch is None else _attached(messages, fetch)
    msg = build_forward(
        forwarded,
        account,
        to,
        subject=detail.summary.subject,
        note=note,
        now=now,
        conversation_id=detail.id,
        files=files,
    )
    return detail.summary.id, len(forwarded), msg


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _attached(messages: list[MessageView], fetch: AttachmentFetch) -> list[AttachedFile]:
    """The messages' attachments, fetched; refused before fetching when they are too big."""
    wanted = [(m, a) for m in messages for a in m.attachments]
    expected = sum(int(a.get("size") or 0) for _, a in wanted)
    too_big = (
        f"more than the {_megabytes(MAX_ATTACHED_BYTES)} a forward carries: forward without the "
        "attachments, or only the last messages (--excerpt N)"
    )
    if expected > MAX_ATTACHED_BYTES:
        raise ReplyError(f"the attachments are about {_megabytes(expected)} together, {too_big}")
    files = [
        AttachedFile(str(a.get("filename") or "attachment"), str(a.get("content_type") or ""), fetch(m, a))
        for m, a in wanted
    ]
    actual = sum(len(f.data) for f in files)
    if actual > MAX_ATTACHED_BYTES:
        raise ReplyError(f"the attachments are {_megabytes(actual)} together, {too_big}")
    return files


@contextmanager
def server_attachments(account_name: str, account: AccountConfig) -> Iterator[AttachmentFetch]:
    """Fetch attachments from the account's IMAP server, on one connection opened when the
    first one is asked for (none without attachments), closed afterwards."""
    from supportinbox.mail import imap

    client: IMAPClient | None = None

    def fetch(message: MessageView, attachment: dict[str, Any]) -> bytes:
        nonlocal client
        try:
            if client is None:
                client = imap.connect(account_name, account)
            size = attachment.get("size")
            return imap.fetch_part(
                client,
                message.folder,
                message.uid,
                str(attachment.get("part") or ""),
                size if isinstance(size, int) else 0,
            )
        except imap.NETWORK_ERRORS as exc:
            raise imap.describe_network_error(exc, account, account_name) from None

    try:
        yield fetch
    finally:
        if client is not None:
            imap.logout(client)


def queue(db: Database, msg: EmailMessage) -> int:
    """Put the forward in the outbox (no conversation: see the module doc); its outbox id."""
    return queue_reply(db, msg, None, None, None, None, None, None)
