"""Automated demo mail: an out-of-office, a bounce of one of our replies, a newsletter and a
payment notification. None of it waits for an answer; it lands in the Automated view, and
the bounce shows on the conversation of the reply that bounced."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AutoMail:
    """One automated message: ``answers`` names the (customer name, turn) of our reply it
    concerns; ``bounce`` (the server's diagnostic) makes it a delivery status report for it."""

    minutes_ago: int
    sender: str
    subject: str
    body: str
    headers: tuple[tuple[str, str], ...] = ()
    answers: tuple[str, int] | None = None
    bounce: str = ""
    seen: bool = False


AUTOMATED = (
    AutoMail(
        4290,
        "David Kim <david.kim@harborline.example>",
        "Automatic reply: Re: Upgrade to Business plan",
        "I am travelling until Monday with limited access to email. For billing questions "
        "please contact finance@harborline.example.\n\nDavid",
        headers=(("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")),
        answers=("David Kim", 1),
        seen=True,
    ),
    AutoMail(
        2945,
        "Mail Delivery System <MAILER-DAEMON@mx.gruenwerk.example>",
        "Undelivered Mail Returned to Sender",
        "This is the mail system at host mx.gruenwerk.example.\n\nI'm sorry to have to inform you "
        "that your message could not be delivered to one or more recipients.\n\n"
        "<emma.schulz@gruenwerk.example>: host mx.gruenwerk.example said: 552 5.2.2 "
        "<emma.schulz@gruenwerk.example>: Mailbox full",
        answers=("Emma Schulz", 1),
        bounce="552 5.2.2 <emma.schulz@gruenwerk.example>: Mailbox full",
    ),
    AutoMail(
        180,
        "SaaS Weekly <digest@saasweekly.example>",
        "[SaaS Weekly] Pricing pages that convert",
        "This week: pricing pages that convert, churn interviews, and the state of support tools.",
        headers=(
            ("List-Id", "SaaS Weekly <weekly.saasweekly.example>"),
            ("List-Unsubscribe", "<mailto:leave@saasweekly.example>"),
            ("Precedence", "list"),
        ),
    ),
    AutoMail(
        75,
        "Stripe <notifications@stripe.example>",
        "Your payout of EUR 4,210.00 is on its way",
        "A payout of EUR 4,210.00 will arrive in your bank account ending 4410 on Tuesday.",
        headers=(("Auto-Submitted", "auto-generated"),),
    ),
)
