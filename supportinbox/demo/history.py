"""Weeks of answered and closed demo conversations, so the reports have a history to show.

Generated from a few lists with fixed steps (no randomness): the same mailbox every
time for the same "now". Two agents answer (alex and sam, named in X-Supportinbox-Agent)
and some replies come from another client (no agent). The last four weeks bring more
questions about CSV exports and two-factor codes than the four before: the topics report
shows them growing.
"""

from __future__ import annotations

from supportinbox.demo.model import Thread, customer, support

_DAY = 24 * 60
_FIRST_NAMES = (
    "Elena",
    "Mark",
    "Aiko",
    "Peter",
    "Grace",
    "Lukas",
    "Nadia",
    "Tom",
    "Isabel",
    "Omar",
    "Sara",
    "David",
)
_COMPANIES = ("costa-design", "jensen-bikes", "sato-labs", "novak-it", "okafor-health")
_EARLIER = (
    ("Password reset email not arriving", "I asked for a password reset but the email never arrives."),
    ("Invoice address wrong", "Our invoice shows the old address. Can you change the invoice address?"),
    ("How to add a teammate", "How do I add a teammate to our workspace?"),
    ("Password reset link expired", "The password reset link says it expired. Can I get a new one?"),
)
_RECENT = (
    ("CSV export of invoices", "How can I get a CSV export of all invoices for our accountant?"),
    ("Two-factor codes not accepted", "My two-factor codes are not accepted since yesterday."),
    ("CSV export is empty", "The CSV export downloads an empty file. Is the CSV export broken?"),
    ("Two-factor codes after phone change", "New phone: how do I move my two-factor codes?"),
    ("How to add a teammate", "How do I add a teammate to our workspace?"),
)
_ANSWERS = {
    "Password": "Please check your spam folder; I have sent a fresh link just now.",
    "Invoice": "Done: the address is updated, and future invoices will show it.",
    "How to": "Go to Settings → Team → Invite and enter their address.",
    "CSV": "Billing → Invoices → Export → CSV gives you all of them; fixed the empty file too.",
    "Two-factor": "I have reset your two-factor setup; scan the new code in the app.",
}
# Minutes until the first answer, and from the answer to closing: a varied but fixed rhythm.
_FIRST_REPLY = (12, 25, 48, 8, 95, 20, 250, 35, 15, 640, 28, 55)
_TO_CLOSE = (60, 180, 30, 1440, 300, 90, 2880, 45)
_AGENTS = ("alex", "sam", "alex", None, "sam", "alex")


def _answer(subject: str) -> str:
    return next(text for key, text in _ANSWERS.items() if subject.startswith(key))


def history_threads() -> tuple[Thread, ...]:
    """Closed conversations from 3 to 57 days ago."""
    threads = []
    for i in range(60):
        days_ago = 57 - i * 54 // 59
        hour = 8 + (i * 5) % 10  # spread over the working day
        asked = days_ago * _DAY - hour * 60
        topics = _RECENT if days_ago <= 28 and i % 4 else _EARLIER
        subject, question = topics[i % len(topics)]
        # Every conversation its own customer: the same customer asking the same thing
        # twice would be one conversation (threading falls back on subject and sender).
        first, company = _FIRST_NAMES[i % len(_FIRST_NAMES)], _COMPANIES[i // len(_FIRST_NAMES)]
        name, email = f"{first} ({company})", f"{first.lower()}@{company}.example"
        answered = asked - _FIRST_REPLY[i % len(_FIRST_REPLY)]
        agent = _AGENTS[i % len(_AGENTS)]
        turns = [
            customer(asked, f"Hello,\n\n{question}\n\n{first}", seen=True),
            support(answered, f"Hi {first},\n\n{_answer(subject)}", agent=agent),
        ]
        closed = answered - _TO_CLOSE[i % len(_TO_CLOSE)]
        if i % 5 == 2:  # a thank-you before closing
            turns.append(customer(answered - 20, "Thanks, that worked!", seen=True))
        threads.append(Thread(name, email, subject, tuple(turns), closed=(closed, agent)))
    return tuple(threads)
