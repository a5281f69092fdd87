"""Follow-ups: the one rule for when a conversation comes back because we promised more.

A follow-up is set by hand (``followup ID --in 3d``) or by a template after its reply is
sent (front matter ``followup: 3d``). It is *active* until the customer writes after it
was set (their reply clears it) or we write after it came due (we followed up). When an
active follow-up comes due, the conversation is back in the open queue as if it had been
reopened by hand at that moment: it waits from the due time (so the SLA guard counts from
there), and our next reply takes it out again.

``pending_reminder_days`` adds the same for every pending conversation the customer has
not answered for that many days after our reply: time to ask whether it is solved.
An explicit follow-up of the conversation takes precedence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from supportinbox.domain.safetext import one_line
from supportinbox.domain.status import customer_wrote_since
from supportinbox.domain.when import day_words, duration

MAX_NOTE_CHARS = 300


@dataclass(frozen=True)
class FollowUp:
    """A follow-up as set by an agent (``due_at`` ``None``: cleared by hand)."""

    conversation_id: str
    due_at: datetime | None
    note: str
    author: str
    set_at: datetime


@dataclass(frozen=True)
class Due:
    """An active follow-up: when it comes (or came) due and the reason the queue shows then."""

    at: datetime
    reason: str


def clean_note(note: str) -> str:
    """A note as stored and shared: one line, bounded."""
    return one_line(note, limit=MAX_NOTE_CHARS).strip()


def explicit_due(
    followup: FollowUp | None, last_customer_at: datetime | None, last_agent_at: datetime | None
) -> Due | None:
    """The active follow-up set by an agent, if it is still active (see the module doc)."""
    if followup is None or followup.due_at is None:
        return None
    if customer_wrote_since(last_customer_at, followup.set_at):
        return None  # the customer wrote: they are waiting for us, or it is solved
    if last_agent_at is not None and last_agent_at > followup.due_at:
        return None  # we wrote after it came due: followed up
    note = clean_note(followup.note)
    when = followup.due_at.astimezone()
    reason = f"follow-up due: {note}" if note else f"follow-up due since {day_words(when)}"
    return Due(followup.due_at, reason)


def reminder_due(
    status: str, last_customer_at: datetime | None, last_agent_at: datetime | None, days: float
) -> Due | None:
    """The pending reminder: ``days`` after our reply to a pending conversation nobody answered."""
    if days <= 0 or status != "pending" or last_agent_at is None:
        return None
    if last_customer_at is not None and last_customer_at > last_agent_at:
        return None
    reason = f"no answer for {duration(timedelta(days=days))} since your reply: send a reminder?"
    return Due(last_agent_at + timedelta(days=days), reason)


def due(
    followup: FollowUp | None,
    *,
    status: str,
    last_customer_at: datetime | None,
    last_agent_at: datetime | None,
    reminder_days: float,
) -> Due | None:
    """The follow-up that applies to a conversation of ``status`` (before any follow-up), if any."""
    return explicit_due(followup, last_customer_at, last_agent_at) or reminder_due(
        status, last_customer_at, last_agent_at, reminder_days
    )


def lifts(found: Due | None, manual_at: datetime | None, now: datetime) -> bool:
    """Whether ``found`` has come due at ``now`` and is newer than the status set by hand.

    A status set by hand after the follow-up came due (closed again, snoozed) stands.
    """
    if found is None or now < found.at:
        return False
    return manual_at is None or manual_at < found.at


CLOSING_TEMPLATE = "closing-follow-up"


def after_close(conversation_id: str, *, closing_template: bool) -> str:
    """What the practice suggests after a close, never done by itself: ask the customer
    whether it is solved, or look again later."""
    reply = f"'supportinbox reply {conversation_id} -t {CLOSING_TEMPLATE}'"
    ask = f"{reply} asks the customer whether it is solved; " if closing_template else ""
    return f"{ask}'supportinbox followup {conversation_id} --in 7d' looks again later"
