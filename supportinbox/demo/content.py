"""The demo mailbox as data: who wrote what, when (minutes before "now"), and where it lies.

Each :class:`Thread` is one conversation. ``turns`` alternate between the customer and the
support team; a turn written by the team is filed in Sent, the rest in the thread's folder.
The mix is what a real support inbox looks like on a bad morning: an outage reported by
several customers at once, a refund, a locked-out user, a VIP, follow-ups, answered
threads waiting on the customer, contact-form messages, messages in several languages, a real customer caught
in Junk next to obvious spam, and one hostile message.
"""

from __future__ import annotations

from supportinbox.demo.everyday import CONTACT_FORMS, FOLLOWUPS_AND_PENDING, NORMAL, OLDER
from supportinbox.demo.history import history_threads
from supportinbox.demo.model import SUPPORT, Thread, Turn
from supportinbox.demo.urgent import HOSTILE, JUNK, OUTAGE, URGENT

__all__ = ["NOTES", "SUPPORT", "THREADS", "VIP_SENDERS", "Thread", "Turn"]

VIP_SENDERS = ("@megacorp.example",)

# Weeks of closed conversations before them, for the reports.
HISTORY: tuple[Thread, ...] = history_threads()
THREADS: tuple[Thread, ...] = (
    *HISTORY,
    *OUTAGE,
    *URGENT,
    *NORMAL,
    *CONTACT_FORMS,
    *FOLLOWUPS_AND_PENDING,
    *OLDER,
    HOSTILE,
    *JUNK,
)

# Internal notes shown in the demo: (subject of the conversation, author, minutes ago, text).
NOTES: tuple[tuple[str, str, int, str], ...] = (
    (
        "Charged twice for the annual plan — refund please",
        "maya",
        80,
        "Stripe shows both charges captured. Refund the second one (ch_3Nx…), not the first.",
    ),
    (
        "Contract renewal and SSO question",
        "sam",
        50,
        "MegaCorp is our largest account — loop in Dana from sales before answering.",
    ),
)
