"""What a conversation looks like to the rest of the program (plain data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

from supportinbox.domain.senders import NOT_IN_SENT, sender_warning

# Not typing.TYPE_CHECKING: reading the queue (``list --json``) loads no typing (see cli/quick.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any, Literal

    Status = Literal["open", "pending", "snoozed", "closed"]

STATUSES: tuple[Status, ...] = ("open", "pending", "snoozed", "closed")
# Conversations of automated mail only (auto-replies, bounces, lists, bulk): nobody waits
# for an answer. Derived, never set by hand; a manual status takes them out of it.
AUTOMATED = "automated"
QUEUE_STATUSES: tuple[str, ...] = (*STATUSES, AUTOMATED)


@dataclass(frozen=True)
class ConversationSummary:
    """One row of the triage queue.

    Times are ISO 8601 UTC strings (``None`` when unknown). ``band`` orders the queue and
    ``sla_level`` says how far an open conversation is through its SLA (both as defined
    in :mod:`supportinbox.domain.sla`).
    """

    id: str
    subject: str
    customer_email: str
    customer_name: str
    status: str
    urgency: int
    band: int
    reasons: list[str]
    last_message_at: str | None
    waiting_since: str | None
    message_count: int
    unread_count: int
    assigned_to: str | None
    incident_id: str | None
    snoozed_until: str | None
    followups: int = 0
    first_message_at: str | None = None
    last_customer_at: str | None = None
    sla_level: int = 0
    followup_at: str | None = None  # when a follow-up or pending reminder comes (came) due
    tags: tuple[str, ...] = ()
    scheduled_at: str | None = None  # a reply of ours waits in the outbox for this time
    # Why it is open again: the customer wrote after a close or during a snooze ("" if not).
    reopened: str = ""

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of ``list``/``search`` output (``customer`` is the address)."""
        return {
            "id": self.id,
            "subject": self.subject,
            "customer": self.customer_email,
            "customer_name": self.customer_name,
            # Why the customer's name or address must not be trusted ("" when it can be).
            "customer_warning": sender_warning(self.customer_name, self.customer_email),
            "status": self.status,
            "urgency": self.urgency,
            "band": self.band,
            "reasons": list(self.reasons),
            "last_message_at": self.last_message_at,
            "waiting_since": self.waiting_since,
            "message_count": self.message_count,
            "unread_count": self.unread_count,
            "followups": self.followups,
            "assigned_to": self.assigned_to,
            "incident_id": self.incident_id,
            "snoozed_until": self.snoozed_until,
            "followup_at": self.followup_at,
            "tags": list(self.tags),
            "scheduled_at": self.scheduled_at,
        }


def attachment_size(size: object) -> str:
    """An attachment's size as a person reads it: "73 B", "4.2 KB", "30.0 MB"."""
    value = float(size) if isinstance(size, int | float) else 0.0
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


# Parts that hold a message's text where this app cannot read it, and what to do about it.
_TNEF = "Outlook sent it inside winmail.dat (TNEF), which only Outlook reads: ask for it as plain text"
_SMIME = "it is S/MIME signed or encrypted inside smime.p7m, which this app does not open"
_UNREADABLE = {
    "application/ms-tnef": _TNEF,
    "application/vnd.ms-tnef": _TNEF,
    "application/pkcs7-mime": _SMIME,
    "application/x-pkcs7-mime": _SMIME,
    "application/pgp-encrypted": "it is PGP encrypted",
}


# Parts that are machinery of their message, not files anyone attached: PGP/MIME's control
# part ("Version: 1", RFC 3156 section 4) beside the encrypted data it describes.
_CONTROL_PARTS = {"application/pgp-encrypted"}


def listed_attachments(attachments: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The attachments a person is shown and may save: all but a message's control parts."""
    return [a for a in attachments if str(a.get("content_type") or "").lower() not in _CONTROL_PARTS]


def attachment_name(attachment: Mapping[str, Any]) -> str:
    """An attachment's file name, or what it is when it has none: "(unnamed image/png)"."""
    kind = str(attachment.get("content_type") or "").strip()
    return str(attachment.get("filename") or "") or (f"(unnamed {kind})" if kind else "(unnamed)")


def no_text_note(attachments: Sequence[Mapping[str, Any]], automated_reason: str = "") -> str:
    """What a message without text says instead: why there is none, when its parts (or, for
    a calendar's message, its ``automated_reason``) tell."""
    types = [str(a.get("content_type") or "").lower() for a in attachments]
    for content_type in types:
        if content_type in _UNREADABLE:
            return f"(no text: {_UNREADABLE[content_type]})"
    if "text/calendar" in automated_reason:
        # "invitation, text/calendar method=REQUEST": only the event, for a calendar to read.
        return f"(no text: only a calendar {automated_reason.split(',', 1)[0].strip()})"
    if types and all(t.startswith("image/") for t in types):
        return "(no text: only an image)" if len(types) == 1 else f"(no text: only {len(types)} images)"
    return "(no text)"


@dataclass(frozen=True)
class MessageView:
    """One message of a conversation, as cached (``body_text`` is already plain text)."""

    rowid: int
    folder: str
    folder_role: str
    uid: int
    message_id: str | None
    in_reply_to: str | None
    refs: list[str]
    from_name: str
    from_addr: str
    to: list[str]
    cc: list[str]
    date: str | None
    subject: str
    body_text: str
    flags: list[str]
    attachments: list[dict[str, Any]]
    from_us: bool
    reply_to: str = ""
    reply_to_name: str = ""
    automated: str = ""  # domain.automated kind: "" when a person wrote it
    automated_reason: str = ""
    bounce_recipient: str = ""
    bounce_reason: str = ""
    poses_as_us: bool = False  # not ours, yet From is our own address (store/ours.py)

    @property
    def from_warning(self) -> str:
        """Why the sender must not be taken at face value; ``""`` when there is no reason."""
        return NOT_IN_SENT if self.poses_as_us else sender_warning(self.from_name, self.from_addr)

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of one message in ``show --json``."""
        return {
            "folder": self.folder,
            "folder_role": self.folder_role,
            "uid": self.uid,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": list(self.refs),
            "from_name": self.from_name,
            "from": self.from_addr,
            "from_warning": self.from_warning,
            "reply_to": self.reply_to,
            "reply_to_name": self.reply_to_name,
            "automated": self.automated,
            "automated_reason": self.automated_reason,
            "bounce_recipient": self.bounce_recipient,
            "bounce_reason": self.bounce_reason,
            "to": list(self.to),
            "cc": list(self.cc),
            "date": self.date,
            "subject": self.subject,
            "body_text": self.body_text,
            "flags": list(self.flags),
            "attachments": list(self.attachments),
            "from_us": self.from_us,
        }


@dataclass(frozen=True)
class Note:
    """An internal note on a conversation (never sent to the customer)."""

    author: str
    created_at: str
    body: str

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of one note in ``show --json``."""
        return {"author": self.author, "created_at": self.created_at, "body": self.body}


@dataclass(frozen=True)
class ConversationDetail:
    """A conversation with its messages (oldest first) and notes."""

    summary: ConversationSummary
    messages: list[MessageView] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.summary.id

    @property
    def acknowledged_at(self) -> str | None:
        """When our automatic acknowledgement (``Auto-Submitted``) went to the customer, if one did."""
        return next((m.date for m in self.messages if m.from_us and m.automated), None)

    def to_json(self) -> dict[str, Any]:
        """``show --json``: the summary fields, ``acknowledged_at``, ``messages`` and ``notes``."""
        data = self.summary.to_json()
        data["acknowledged_at"] = self.acknowledged_at
        data["messages"] = [m.to_json() for m in self.messages]
        data["notes"] = [n.to_json() for n in self.notes]
        return data
