"""Mail no person is waiting behind: auto-replies, bounces, mailing lists, bulk mail.

Such mail leaves the open queue for the Automated view: it never breaches an SLA, never
counts as a customer writing (an out-of-office does not reopen a conversation), and is
never answered automatically. The signs are the standard ones:

- RFC 3834 ``Auto-Submitted`` (anything but ``no``), and the older ``X-Autoreply`` /
  ``X-Autorespond`` headers of vacation responders;
- ``Precedence: bulk | list | junk`` and ``List-Id`` (mailing lists, newsletters), and
  ``List-Unsubscribe`` alone (bulk mail: newsletters and marketing sent by a mailing service,
  which large mailbox providers require it of; a person's own client never adds it);
- a delivery status report (RFC 3464 ``multipart/report; report-type=delivery-status``) or
  a sender named ``MAILER-DAEMON`` / ``postmaster``: a bounce;
- an iTIP calendar message (RFC 6047: a ``text/calendar`` part with a ``method``): an
  invitation, an acceptance or a cancellation a calendar wrote, answered from a calendar,
  not by a reply; its subject ("Invitation: Urgent call") is the event's title.

A bounce says which of our messages failed (the Message-ID in the returned headers) and
why (``Diagnostic-Code`` or ``Status`` of the delivery status part); :func:`bounce_report`
reads both, so the conversation of that reply can say "your reply to X bounced: reason".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

AUTO_REPLY = "auto-reply"
BOUNCE = "bounce"
MAILING_LIST = "list"
BULK = "bulk"
NOTIFICATION = "notification"
KINDS = (AUTO_REPLY, BOUNCE, MAILING_LIST, BULK, NOTIFICATION)

# The headers :func:`classify` reads (lower-case names), so a parser can pick only these.
HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "content-type",
)

_DAEMONS = frozenset({"mailer-daemon", "postmaster"})
_REPORT = re.compile(r"multipart/report\b.*report-type\s*=\s*\"?delivery-status", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Automated:
    """What kind of automated mail a message is (``kind`` empty: a person wrote it), and why."""

    kind: str
    reason: str = ""

    def __bool__(self) -> bool:
        return bool(self.kind)

    def describe(self) -> str:
        """``automated: bounce (delivery status report)``."""
        return f"automated: {self.kind} ({self.reason})" if self.reason else f"automated: {self.kind}"


PERSON = Automated("")


def classify(headers: Mapping[str, str], from_addr: str) -> Automated:
    """The kind of automated mail ``headers`` (lower-case name -> first value) show, if any."""

    def value(name: str) -> str:
        return " ".join(str(headers.get(name) or "").split())

    local = from_addr.strip().lower().rpartition("@")[0]
    if _REPORT.search(value("content-type")):
        return Automated(BOUNCE, "delivery status report")
    if local in _DAEMONS:
        return Automated(BOUNCE, f"from {local.upper() if local == 'mailer-daemon' else local}")
    submitted = value("auto-submitted")
    kind = submitted.split(";", 1)[0].strip().lower()
    if kind and kind != "no":
        return Automated(AUTO_REPLY if kind == "auto-replied" else NOTIFICATION, f"Auto-Submitted: {kind}")
    for name, label in (("x-autoreply", "X-Autoreply"), ("x-autorespond", "X-Autorespond")):
        if name in headers and value(name).lower() not in ("no", "false", "0"):
            return Automated(AUTO_REPLY, label)
    precedence = value("precedence").lower()
    if precedence in ("bulk", "junk"):
        return Automated(BULK, f"Precedence: {precedence}")
    if precedence == "list":
        return Automated(MAILING_LIST, "Precedence: list")
    if value("list-id"):
        return Automated(MAILING_LIST, "List-Id")
    if value("list-unsubscribe"):
        return Automated(BULK, "List-Unsubscribe")
    return PERSON


def calendar(method: str) -> Automated:
    """A message carrying an iTIP calendar part of ``method`` (REQUEST, REPLY, CANCEL...)."""
    name = " ".join(method.split()).upper()[:20]
    labels = {"REQUEST": "invitation", "REPLY": "invitation answer", "CANCEL": "cancellation"}
    label = labels.get(name, "calendar")
    return Automated(NOTIFICATION, f"{label}, text/calendar method={name}")


@dataclass(frozen=True, slots=True)
class Bounce:
    """What a delivery status report says: whose message failed, to whom, and why."""

    message_id: str | None
    recipient: str
    reason: str


_FIELD = re.compile(r"^([A-Za-z-]+)\s*:\s*(.*)$")
_MESSAGE_ID = re.compile(r"^message-id\s*:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)


def _fields(text: str) -> list[dict[str, str]]:
    """The blocks of a delivery-status body as dicts (lower-case names, unfolded values)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, ""
            continue
        if line[:1] in (" ", "\t") and last:
            current[last] += " " + line.strip()
            continue
        match = _FIELD.match(line)
        if match:
            last = match.group(1).lower()
            current.setdefault(last, match.group(2).strip())
    if current:
        blocks.append(current)
    return blocks


def _after_type(value: str) -> str:
    """``rfc822; a@b`` -> ``a@b``; ``smtp; 550 ...`` -> ``550 ...``."""
    return value.split(";", 1)[1].strip() if ";" in value else value.strip()


def bounce_report(delivery_status: str, returned_headers: str) -> Bounce | None:
    """Read a delivery status part and the returned message's headers; None if no failure."""
    recipients = [
        b for b in _fields(delivery_status[:20_000]) if "final-recipient" in b or "original-recipient" in b
    ]
    failed = next((b for b in recipients if b.get("action", "failed").lower() in ("failed", "delayed")), None)
    if failed is None:
        return None
    recipient = _after_type(failed.get("final-recipient") or failed.get("original-recipient") or "")
    reason = _after_type(failed.get("diagnostic-code", "")) or failed.get("status", "")
    if failed.get("action", "failed").lower() == "delayed":
        reason = f"delayed, still trying ({reason})" if reason else "delayed, still trying"
    found = _MESSAGE_ID.search(returned_headers[:65_536])
    return Bounce(
        message_id=found.group(1).lower() if found else None,
        recipient=recipient.strip("<>").lower()[:254],
        reason=" ".join(reason.split())[:300] or "no reason given",
    )


@dataclass(frozen=True, slots=True)
class Said:
    """One message of a conversation as :func:`bounced_reply` reads it (oldest first)."""

    ours: bool  # written from one of our addresses
    person: bool  # a person wrote it (not an auto-reply, a bounce, our acknowledgement)
    sender: str  # the address it stands for, lower case ("" for ours)
    message_id: str = ""  # lower case, as bounces name it
    bounce: Bounce | None = None


def bounced_reply(said: Sequence[Said], to: Collection[str] = ()) -> int | None:
    """Where a conversation says our last reply bounced: the index of the newest bounce of a
    reply of ours when neither we nor the bounced address wrote since; None otherwise.

    A bounce is of a reply of ours when it returns one of our messages here (its
    Message-ID), or, given ``to`` (the addresses a new reply would go to), when it names
    one of them: that reply would most likely bounce too. The queue asks the first (the
    conversation reopens, the customer never got the answer), the reply editor the second.
    """
    replies = {s.message_id for s in said if s.ours and s.person and s.message_id}
    wrote_since: set[str] = set()
    for index in range(len(said) - 1, -1, -1):
        message = said[index]
        if message.ours and message.person:
            return None  # we wrote since: that one is the last word, bounced or not
        if message.person:
            wrote_since.add(message.sender)
            continue
        bounce = message.bounce
        if bounce is None or bounce.recipient in wrote_since:
            continue  # no bounce, or the address has worked since
        if (bounce.recipient in to) if to else (bounce.message_id or "") in replies:
            return index
    return None
