"""One message as the cache keeps it: the record parsing fills and the store writes.

Plain data with no I/O, so the store and the parser both depend on it and not on each other.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

# Not typing.TYPE_CHECKING: a no-change sync answered before the program loads reads
# this module and loads little else.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Who on the team wrote a reply or a team note: a teammate's client finds it in Sent and
# names them when it holds back a second answer. Non-ASCII agent names travel RFC
# 2047-encoded, so the header stays 7-bit.
AGENT_HEADER = "X-Supportinbox-Agent"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A non-text part, described but not downloaded. ``part`` is its IMAP section number."""

    filename: str
    content_type: str
    size: int
    part: str


@dataclass(slots=True)
class ParsedMessage:
    """Everything the cache stores about one message.

    Addresses are lower-cased addr-specs; ``message_id``, ``in_reply_to`` and ``references``
    keep their angle brackets (``<id@host>``); ``date`` is ISO 8601 UTC or None.
    """

    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    from_name: str = ""
    from_addr: str = ""
    reply_to: str = ""
    reply_to_name: str = ""
    to_addrs: list[str] = field(default_factory=list)
    cc_addrs: list[str] = field(default_factory=list)
    subject: str = ""
    date: str | None = None
    body_text: str = ""
    body_truncated: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    auth_results: str = ""
    spam_headers: dict[str, str] = field(default_factory=dict)
    priority: int | None = None
    list_headers: bool = False
    automated: str = ""  # domain.automated kind ("" when a person wrote it)
    automated_reason: str = ""
    bounce_of: str | None = None  # a bounce: the Message-ID of the message that failed
    bounce_recipient: str = ""
    bounce_reason: str = ""
    raw_headers: str = ""
    parse_error: str | None = None

    @property
    def has_attachments(self) -> bool:
        return bool(self.attachments)

    def attachments_json(self) -> str:
        if not self.attachments:
            return "[]"  # most mail: skip the encoder
        return json.dumps([asdict(a) for a in self.attachments], ensure_ascii=False)


def to_row(parsed: ParsedMessage) -> dict[str, Any]:
    """The message columns of the cache for ``parsed``."""
    return {
        "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to,
        "refs": " ".join(parsed.references),
        "from_name": parsed.from_name,
        "from_addr": parsed.from_addr,
        "reply_to": parsed.reply_to,
        "reply_to_name": parsed.reply_to_name,
        "to_addrs": " ".join(parsed.to_addrs),
        "cc_addrs": " ".join(parsed.cc_addrs),
        "subject": parsed.subject,
        "date": parsed.date,
        "body_text": parsed.body_text,
        "body_truncated": int(parsed.body_truncated),
        "has_attachments": int(parsed.has_attachments),
        "attachments": parsed.attachments_json(),
        "auth_results": parsed.auth_results,
        "spam_headers": json.dumps(parsed.spam_headers, ensure_ascii=False) if parsed.spam_headers else "{}",
        "priority": parsed.priority,
        "list_headers": int(parsed.list_headers),
        "automated": parsed.automated,
        "automated_reason": parsed.automated_reason,
        "bounce_of": parsed.bounce_of,
        "bounce_recipient": parsed.bounce_recipient,
        "bounce_reason": parsed.bounce_reason,
        "raw_headers": parsed.raw_headers,
        "parse_error": parsed.parse_error,
    }
