"""The shapes of the demo mailbox: a thread of turns, written by a customer or the team."""

from __future__ import annotations

from dataclasses import dataclass, field

SUPPORT = ("Acme Support", "support@acme.example")
SIGNATURE = "\n\n-- \nAcme Support · https://acme.example/help\nWe answer within one working day."


@dataclass(frozen=True)
class Turn:
    """One message of a thread."""

    minutes_ago: int
    body: str
    from_support: bool = False
    attachment: tuple[str, str, bytes] | None = None  # file name, MIME type, data
    seen: bool = True
    agent: str | None = None  # who answered (X-Supportinbox-Agent); None: another client
    automatic: bool = False  # an acknowledgement on arrival (Auto-Submitted: auto-replied)


@dataclass(frozen=True)
class Thread:
    """One conversation with one customer; ``folder`` is where the customer's mail lies."""

    name: str
    email: str
    subject: str
    turns: tuple[Turn, ...]
    folder: str = "INBOX"
    headers: dict[str, str] = field(default_factory=dict)
    # A contact form writing for the customer: its (name, address) is the From of the
    # customer's turns, and the customer is their Reply-To.
    via: tuple[str, str] | None = None
    closed: tuple[int, str | None] | None = None  # closed (minutes ago, by whom)


def customer(
    minutes: int, body: str, *, seen: bool = False, attachment: tuple[str, str, bytes] | None = None
) -> Turn:
    """A customer's message, ``minutes`` before now (unread unless ``seen``)."""
    return Turn(minutes, body, from_support=False, attachment=attachment, seen=seen)


def support(minutes: int, body: str, *, agent: str | None = None) -> Turn:
    """The team's answer, ``minutes`` before now, signed."""
    return Turn(minutes, body + SIGNATURE, from_support=True, seen=True, agent=agent)


def acknowledgement(minutes: int, name: str, subject: str) -> Turn:
    """The automatic acknowledgement on arrival, as the shipped template writes it."""
    body = (
        f'Hi {name},\n\nThank you for writing to Acme Support about "{subject}".\nThis is an '
        "automatic note to say that your message has arrived.\n\nA person from our team will "
        "read it and write back to you. You do not\nneed to write again; if you have anything "
        "to add, just reply to this\nemail.\n\nBest regards,\nAcme Support"
    )
    return Turn(minutes, body, from_support=True, seen=True, agent="alex", automatic=True)
