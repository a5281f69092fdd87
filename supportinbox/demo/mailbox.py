"""Turn the demo threads into real RFC 5322 messages, dated relative to "now".

The same input always gives the same bytes for the same ``now`` (Message-IDs are derived
from the thread and turn, not random), so tests and snapshots are deterministic.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from supportinbox.demo.automated import AUTOMATED, AutoMail
from supportinbox.demo.content import SUPPORT, THREADS, Thread, Turn
from supportinbox.domain.acknowledgement import HEADERS as ACKNOWLEDGEMENT_HEADERS
from supportinbox.domain.message import AGENT_HEADER


@dataclass(frozen=True)
class DemoMessage:
    """One message of the demo mailbox and where it lies."""

    folder: str
    raw: bytes
    flags: tuple[str, ...]
    received: datetime


def message_id(thread: Thread, index: int) -> str:
    digest = hashlib.sha256(f"{thread.email}|{thread.subject}|{index}".encode()).hexdigest()[:16]
    return f"<demo-{digest}@{thread.email.split('@', 1)[1]}>"


def _address(name: str, email: str) -> str:
    local, _, domain = email.partition("@")
    return str(Address(display_name=name, username=local, domain=domain))


def _build(thread: Thread, index: int, turn: Turn, date: datetime) -> bytes:
    msg = EmailMessage()
    customer = _address(thread.name, thread.email)
    support = _address(*SUPPORT)
    if turn.from_support:
        msg["From"] = support
    elif thread.via is not None:
        msg["From"] = _address(*thread.via)
        msg["Reply-To"] = customer
    else:
        msg["From"] = customer
    msg["To"] = customer if turn.from_support else support
    subject = thread.subject
    if index > 0 and not subject.lower().startswith("re:"):
        subject = "Re: " + subject
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id(thread, index)
    if index > 0:
        msg["In-Reply-To"] = message_id(thread, index - 1)
        msg["References"] = " ".join(message_id(thread, i) for i in range(index))
    for name, value in thread.headers.items():
        msg[name] = value
    if turn.from_support and turn.agent:
        msg[AGENT_HEADER] = turn.agent
    if turn.automatic:
        for name, value in ACKNOWLEDGEMENT_HEADERS:
            msg[name] = value
    msg.set_content(turn.body)
    if turn.attachment is not None:
        filename, mime, data = turn.attachment
        maintype, _, subtype = mime.partition("/")
        if maintype == "text":
            msg.add_attachment(data.decode("utf-8"), subtype=subtype, filename=filename)
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        # A fixed boundary keeps the bytes identical from run to run.
        msg.set_boundary("demo-boundary-" + message_id(thread, index)[6:22])
    return msg.as_bytes()


def _automated(mail: AutoMail, date: datetime) -> bytes:
    msg = EmailMessage()
    msg["From"] = mail.sender
    msg["To"] = _address(*SUPPORT)
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(date)
    digest = hashlib.sha256(f"{mail.sender}|{mail.subject}".encode()).hexdigest()[:16]
    msg["Message-ID"] = f"<auto-{digest}@{mail.sender.rpartition('@')[2].rstrip('>')}>"
    ours = None
    if mail.answers is not None:
        name, turn = mail.answers
        ours = message_id(next(t for t in THREADS if t.name == name), turn)
    if ours is not None and not mail.bounce:
        msg["In-Reply-To"] = ours
        msg["References"] = ours
    for name, value in mail.headers:
        msg[name] = value
    if not mail.bounce:
        msg.set_content(mail.body)
        return msg.as_bytes()
    # A delivery status report as mail servers write it: the reason, and our message's headers.
    head = (
        msg.as_bytes().rstrip(b"\n")
        + (
            "\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
            f'Content-Type: multipart/report; report-type=delivery-status; boundary="{digest}"\n\n'
        ).encode()
    )
    recipient = mail.bounce.partition("<")[2].partition(">")[0]
    body = (
        f"--{digest}\nContent-Type: text/plain; charset=utf-8\n\n{mail.body}\n\n"
        f"--{digest}\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; {recipient.partition('@')[2]}\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: {mail.bounce.split()[1]}\n"
        f"Diagnostic-Code: smtp; {mail.bounce}\n\n"
        f"--{digest}\nContent-Type: text/rfc822-headers\n\n"
        f"From: {_address(*SUPPORT)}\nMessage-ID: {ours}\n\n"
        f"--{digest}--\n"
    )
    return head + body.encode()


def demo_messages(now: datetime) -> list[DemoMessage]:
    """Every message of the demo mailbox, oldest first, dated relative to ``now`` (aware)."""
    out: list[DemoMessage] = []
    for thread in THREADS:
        for index, turn in enumerate(thread.turns):
            date = (now - timedelta(minutes=turn.minutes_ago)).replace(microsecond=0)
            folder = "Sent" if turn.from_support else thread.folder
            flags = ("\\Seen",) if turn.seen else ()
            answered_later = any(t.from_support and not t.automatic for t in thread.turns[index + 1 :])
            if not turn.from_support and answered_later:
                flags = (*flags, "\\Answered")
            out.append(DemoMessage(folder, _build(thread, index, turn, date), flags, date))
    for mail in AUTOMATED:
        date = (now - timedelta(minutes=mail.minutes_ago)).replace(microsecond=0)
        flags = ("\\Seen",) if mail.seen else ()
        out.append(DemoMessage("INBOX", _automated(mail, date), flags, date))
    out.sort(key=lambda m: m.received)
    return out
