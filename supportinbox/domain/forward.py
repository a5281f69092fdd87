"""A conversation forwarded to a colleague or an outside address, as an e-mail.

The forward is a new message from the mailbox (``Fwd: SUBJECT``): the note first, then
each forwarded message under a ``Forwarded message`` line with its From, Date, To and
Subject, as mail clients write an inline forward. It carries no In-Reply-To: the
recipient starts a thread of their own, and the customer's thread is not touched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid

from supportinbox.config import AccountConfig
from supportinbox.domain.message import AGENT_HEADER
from supportinbox.domain.replies import WIRE_POLICY, ReplyError, valid_address
from supportinbox.domain.safetext import clean, one_line
from supportinbox.domain.templates import trim_line

_AGENT = re.compile(r"[\w.-]{1,64}")
_MIME_WORD = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
_FWD = re.compile(r"^\s*(?:(?:fwd?|wg|tr|rv|i)\s*:\s*)+", re.IGNORECASE)
SEPARATOR = "---------- Forwarded message ----------"
# Marks a forward (its value: the conversation forwarded): it is no reply to a customer.
FORWARD_HEADER = "X-Supportinbox-Forward"


#: What the attachments of one forward may weigh together (decoded): most mail servers take
#: 20-25 MB per message, and base64 adds a third.
MAX_ATTACHED_BYTES = 15 * 1024 * 1024


@dataclass(frozen=True)
class AttachedFile:
    """A file that goes with the forward (fetched from the server on demand)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ForwardedMessage:
    """One message of the conversation, as the forward shows it."""

    from_name: str
    from_addr: str
    date: str | None  # ISO 8601, UTC
    subject: str
    body: str
    to: tuple[str, ...] = ()
    attachments: tuple[str, ...] = field(default=())


def is_forward(raw: bytes) -> bool:
    """Whether the message ``raw`` is a forward built here (by its header, before the body)."""
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    return b"\r\n" + FORWARD_HEADER.lower().encode() + b":" in head


def forward_subject(subject: str) -> str:
    """``Fwd: SUBJECT``, never ``Fwd: Fwd: SUBJECT``."""
    return f"Fwd: {_FWD.sub('', one_line(subject, limit=200)) or '(no subject)'}"


def _when(date: str | None) -> str:
    if not date:
        return "(no date)"
    try:
        moment = datetime.fromisoformat(date)
    except ValueError:
        return one_line(date, limit=40)
    return format_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def forward_body(messages: list[ForwardedMessage], note: str = "", *, attached: bool = False) -> str:
    """The text of the forward: the note, then every message with its headers, oldest first.

    ``attached``: the messages' attachments go with the forward (else they are only named)."""
    parts: list[str] = []
    if note.strip():
        parts.append(clean(note).strip())
    for message in messages:
        sender = one_line(message.from_addr, limit=200)
        name = one_line(message.from_name, limit=100)
        lines = [
            SEPARATOR,
            f"From: {name} <{sender}>" if name else f"From: {sender}",
            f"Date: {_when(message.date)}",
            f"Subject: {one_line(message.subject, limit=200)}",
        ]
        if message.to:
            lines.append(f"To: {one_line(', '.join(message.to), limit=400)}")
        lines += ["", clean(message.body).strip() or "(no text)"]
        if message.attachments:
            names = ", ".join(one_line(a, limit=80) for a in message.attachments)
            said = "attached" if attached else "attachments, not forwarded"
            lines += ["", f"({said}: {names})"]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def forward_address(to: str) -> tuple[str, str] | None:
    """(display name, address) of the one recipient ``to`` names, or None if it is not one."""
    found = getaddresses([to]) if "\r" not in to and "\n" not in to else []
    address = valid_address(found[0][1]) if len(found) == 1 else None
    return None if address is None else (one_line(found[0][0], limit=100), address)


def build_forward(
    messages: list[ForwardedMessage],
    account: AccountConfig,
    to: str,
    *,
    subject: str,
    note: str = "",
    now: datetime | None = None,
    conversation_id: str = "",
    files: Sequence[AttachedFile] | None = None,
) -> EmailMessage:
    """The forward as an :class:`EmailMessage` from the mailbox to ``to``.

    ``files``: the forwarded messages' attachments, attached (None: they are only named)."""
    recipient = forward_address(to)
    if recipient is None:
        raise ReplyError(
            f"{one_line(to, limit=80)!r} is not an e-mail address to forward to: write it as name@example.com"
        )
    name, address = recipient
    if not messages:
        raise ReplyError("nothing to forward: the conversation has no message")
    msg = EmailMessage(policy=WIRE_POLICY)
    msg["From"] = Address(display_name=account.display_name or "", addr_spec=account.email)
    msg["To"] = Address(display_name=name, addr_spec=address)
    msg["Subject"] = forward_subject(subject)
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=account.email.rpartition("@")[2])
    if _AGENT.fullmatch(account.agent):
        msg[AGENT_HEADER] = account.agent
    msg[FORWARD_HEADER] = conversation_id if _AGENT.fullmatch(conversation_id) else "yes"
    text = forward_body(messages, note, attached=files is not None)
    lines = [trim_line(line) for line in text.rstrip("\n").split("\n")]
    msg.set_content("\n".join(lines) + "\n", charset="utf-8")
    for file in files or ():
        maintype, _, subtype = file.content_type.partition("/")
        if not (_MIME_WORD.fullmatch(maintype) and _MIME_WORD.fullmatch(subtype)) or maintype == "text":
            # A text part would be re-encoded (and its charset guessed): sent as the bytes it was.
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(
            file.data, maintype=maintype, subtype=subtype, filename=attachment_name(file.filename)
        )
    return msg


def attachment_name(filename: str) -> str:
    """The file name a forwarded attachment carries: one line, no path, never empty."""
    name = one_line(filename, limit=120).replace("/", "_").replace("\\", "_").strip(". ")
    return name or "attachment"
