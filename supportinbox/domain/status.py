"""Conversation status: who wrote last, and a manual status on top of it."""

from __future__ import annotations

from datetime import datetime

from supportinbox.domain.when import when_words


def customer_wrote_since(last_customer_at: datetime | None, since: datetime) -> bool:
    """Whether the customer wrote after ``since`` (a close, a snooze, a follow-up set).

    Date headers count whole seconds, so a message dated in the same second as the change
    counts as after it: whoever made the change could not have read a reply not yet
    written, so that message is news to them and brings the conversation back.
    """
    return last_customer_at is not None and last_customer_at >= since


def snoozed_words(status: str, snoozed_until: datetime | str | None, now: datetime) -> str:
    """``snoozed until Mon 14 Dec 09:00`` for a snoozed conversation, else "": what the
    queue's Why says of it, so the Snoozed view tells when each one comes back."""
    if status != "snoozed":
        return ""
    until = when_words(snoozed_until, now, ahead=True)
    return f"snoozed until {until}" if until else ""


def derive_status(
    last_customer_at: datetime | None,
    last_agent_at: datetime | None,
    last_customer_answered: bool,
) -> str:
    """``open`` when the customer wrote last, ``pending`` when we did (or flagged it \\Answered)."""
    if last_customer_at is None:
        return "pending"
    if last_agent_at is not None and last_agent_at >= last_customer_at:
        return "pending"
    return "pending" if last_customer_answered else "open"


def effective_status(
    derived: str,
    manual: str | None,
    manual_at: datetime | None,
    snoozed_until: datetime | None,
    last_customer_at: datetime | None,
    last_agent_at: datetime | None,
    now: datetime,
) -> str:
    """Apply a manual status on top of the derived one.

    A customer writing after the manual change ends it: the conversation is again what
    its messages make it (open, or pending once we answered that message); a snooze also
    ends at its time (open); a manual ``open`` gives way once we reply after it.
    """
    if manual is None or manual_at is None:
        return derived
    customer_since = customer_wrote_since(last_customer_at, manual_at)
    agent_since = last_agent_at is not None and last_agent_at > manual_at
    if customer_since and manual in ("closed", "pending", "snoozed"):
        return derived
    if manual == "snoozed":
        return "open" if snoozed_until is None or now >= snoozed_until else "snoozed"
    if manual in ("closed", "pending"):
        return manual
    if manual == "open":
        return derived if agent_since else "open"
    return derived


def ended_by_customer(
    status: str,
    manual: str | None,
    manual_at: datetime | None,
    snoozed_until: datetime | None,
    last_customer_at: datetime | None,
) -> str:
    """The manual status a customer's message ended, when that is why ``status`` is open.

    ``closed`` (they wrote after the close), ``snoozed`` (they wrote before the snooze's
    end), or "" (not open, never set aside, a snooze that ran out on its own).
    """
    if status != "open" or manual_at is None or last_customer_at is None:
        return ""
    if not customer_wrote_since(last_customer_at, manual_at):
        return ""
    if manual == "closed":
        return "closed"
    if manual == "snoozed" and snoozed_until is not None and last_customer_at < snoozed_until:
        return "snoozed"
    return ""


def reopened_reason(at: datetime, ended: str, now: datetime) -> str:
    """Why a conversation set aside is back in the queue: the customer wrote again.

    ``reopened: the customer wrote after it was closed today 14:05`` (``at``: the close),
    or ``woken: the customer wrote during the snooze until tomorrow 09:00`` (``at``: the
    snooze's end); said as every moment is (:func:`~supportinbox.domain.when.when_words`).
    """
    if ended == "snoozed":
        return f"woken: the customer wrote during the snooze until {when_words(at, now)}"
    return f"reopened: the customer wrote after it was closed {when_words(at, now)}"
