"""The demo mailbox as data: who wrote what, when (minutes before "now"), and where it lies.

Each :class:`Thread` is one conversation. ``turns`` alternate between the customer and the
support team; a turn written by the team is filed in Sent, the rest in the thread's folder.
The mix is what a real support inbox looks like on a bad morning: an outage reported by
several customers at once, a refund, a locked-out user, a VIP, follow-ups, answered
threads waiting on the customer, contact-form messages, messages in several languages, a real customer caught
in Junk next to obvious spam, and one hostile message.
"""

from __future__ import annotations

from supportinbox.demo.everyday import CONTACT_FORMS, EARLIER, FOLLOWUPS_AND_PENDING, NORMAL, OLDER
from supportinbox.demo.history import history_threads
from supportinbox.demo.model import SUPPORT, Thread, Turn
from supportinbox.demo.urgent import HOSTILE, JUNK, OUTAGE, URGENT

__all__ = ["FOLLOW_UPS", "NOTES", "SCHEDULED", "SUPPORT", "TAGS", "THREADS", "VIP_SENDERS", "Thread", "Turn"]

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
    *EARLIER,
    HOSTILE,
    *JUNK,
)

# Internal notes shown in the demo: (subject of the conversation, author, minutes ago, text).
# Conversations merged by hand: (the one that stays, the one merged into it, who, minutes ago).
MERGES: tuple[tuple[str, str, str, int], ...] = (
    ("Upload fails for files over 10 MB", "Screenshot of the upload error", "maya", 120),
)

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
    (
        "Upload fails for files over 10 MB",
        "maya",
        118,
        "Merged her screenshot mail into this one. 413 = our 10 MB proxy limit; ask ops about 25 MB.",
    ),
)

# Follow-ups in the demo: (subject, author, set minutes ago, due in minutes (negative: due), note).
FOLLOW_UPS: tuple[tuple[str, str, int, int, str], ...] = (
    (
        "Re: Integration with our ERP",
        "maya",
        3900,
        -60,
        "you promised to check the Odoo connector",
    ),
    ("Re: Upgrade to Business plan", "alex", 4300, 2 * 24 * 60, "confirm the upgrade went through"),
)

# Tags in the demo: (subject, tags).
TAGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Charged twice for the annual plan — refund please", ("billing", "refund")),
    ("Re: Refund for unused seats", ("billing",)),
    ("Invoice address wrong", ("billing",)),
    ("Receipt for the March invoice", ("billing",)),
    ("Feature request: dark mode for the mobile app", ("feature-request",)),
    ("Slow search in large projects", ("bug", "performance")),
)

# A reply scheduled for later (the customer's morning): (subject, body).
SCHEDULED = (
    "Timezone of scheduled reports",
    "Hi Yuki,\n\nscheduled reports use the time zone of the workspace owner, which is UTC for "
    "yours. Under Settings → Workspace → Time zone you can set Asia/Tokyo; the next report then "
    "arrives at 09:00 your time.\n\nBest,\nAlex",
)
