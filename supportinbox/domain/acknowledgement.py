"""Acknowledgement on arrival: which new conversations get a short automatic reply, and why.

The rule (RFC 3834, "Recommendations for Automatic Responses to Electronic Mail"):

- the reply says what it is: ``Auto-Submitted: auto-replied`` (and Microsoft's
  ``X-Auto-Response-Suppress: All``, so an Exchange out-of-office does not answer it);
- never to automated mail: what :func:`supportinbox.domain.automated.classify` calls
  automated (``Auto-Submitted`` other than ``no``, vacation responders, ``Precedence: bulk |
  list | junk``, ``List-Id``, bounces, ``MAILER-DAEMON`` / ``postmaster``), any other
  ``List-*`` header (a list or newsletter without a ``List-Id``), a message asking not to be
  auto-answered (``X-Auto-Response-Suppress``), or one with an empty ``Return-Path`` (a
  bounce: responses "MUST NOT be sent to a null return path");
- never to a no-reply sender, a mail daemon, or one of our own addresses (mail we sent is
  never a new conversation: store/ours.py's rule; a message that poses as us is refused too);
- at most one per conversation and one per customer in ``min_hours_between``
  (the store and the use case, :mod:`supportinbox.app.acknowledge`, keep those two).

When: ``outside-hours`` — the conversation's first unanswered message arrived while the team
is away and no working time has passed since; ``first-reply-late`` — the first-reply target
has reached its warning point (``[triage] sla_warn_fraction``) and nobody has answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from supportinbox.config import ACK_FIRST_REPLY_LATE, ACK_OUTSIDE_HOURS
from supportinbox.domain.automated import classify
from supportinbox.domain.customer import is_no_reply
from supportinbox.domain.hours import BusinessCalendar

# The headers an acknowledgement carries.
HEADERS: tuple[tuple[str, str], ...] = (
    ("Auto-Submitted", "auto-replied"),
    ("X-Auto-Response-Suppress", "All"),
)
# The queue's and the conversation's word for it.
NOTE = "acknowledged automatically"
# Why each rule sent one, as the outbox and the conversation say it.
REASONS: dict[str, str] = {
    ACK_OUTSIDE_HOURS: "it arrived outside business hours",
    ACK_FIRST_REPLY_LATE: "the first-reply target is about to be missed",
}
# An acknowledgement later than this after the customer wrote acknowledges nothing.
FRESH_FOR = timedelta(hours=24)

_DAEMONS = frozenset({"mailer-daemon", "postmaster"})


def refusal(headers: Mapping[str, str], from_addr: str, recipient: str, own: Iterable[str]) -> str | None:
    """Why the message with ``headers`` (lower-case name -> value) from ``from_addr`` must not
    be acknowledged to ``recipient``; None when it may."""
    found = classify(headers, from_addr)
    if found:
        return found.describe()
    names = {name.lower() for name in headers}
    listed = sorted(n for n in names if n.startswith("list-"))
    if listed:
        return f"mailing list ({listed[0].title()})"
    suppress = " ".join(str(headers.get("x-auto-response-suppress") or "").split()).lower()
    if suppress and any(w in suppress for w in ("all", "autoreply", "oof")):
        return "the sender asked for no automatic replies (X-Auto-Response-Suppress)"
    if "return-path" in names and str(headers.get("return-path") or "").strip() in ("<>", ""):
        return "empty Return-Path (a bounce)"
    address = recipient.strip().lower()
    if not address or "@" not in address:
        return "no address to answer"
    if address in {a.strip().lower() for a in own if a}:
        return "one of our own addresses"
    if address.rpartition("@")[0] in _DAEMONS:
        return "a mail system address"
    if is_no_reply(address):
        return "a no-reply address"
    return None


# The headers :func:`refusal` reads besides the automated-mail ones (lower-case names).
READS = ("x-auto-response-suppress", "return-path")


def trigger(
    when: Iterable[str],
    calendar: BusinessCalendar,
    *,
    arrived: datetime,
    now: datetime,
    first_reply_warn_at: datetime | None,
) -> str | None:
    """Which of ``when``'s rules asks for an acknowledgement now (its key), or None.

    ``arrived``: the conversation's first unanswered customer message; ``first_reply_warn_at``:
    when its first-reply target reaches the warning point (None when it is not measured).
    """
    if now - arrived > FRESH_FOR or arrived > now + timedelta(minutes=5):
        return None
    rules = tuple(when)
    if ACK_OUTSIDE_HOURS in rules and not calendar.is_wall_time:
        closed_now = calendar.open_at(now) > now
        if closed_now and calendar.seconds(arrived, now) <= 0:
            return ACK_OUTSIDE_HOURS
    if ACK_FIRST_REPLY_LATE in rules and first_reply_warn_at is not None and first_reply_warn_at <= now:
        return ACK_FIRST_REPLY_LATE
    return None
