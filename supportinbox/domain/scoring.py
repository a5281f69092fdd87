"""Clock-independent urgency of a conversation: points and a band, every point explained.

Scoring gives each conversation its band (normal or urgent) and points; incidents
(:mod:`supportinbox.domain.incidents`) lift groups of conversations to the incident band.
The SLA part of the band and the order within a band are the SLA rule's
(:mod:`supportinbox.domain.sla`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from supportinbox.config import TriageConfig
from supportinbox.domain.keywords import KeywordMatcher
from supportinbox.domain.sla import BAND_NORMAL, BAND_URGENT

SUBJECT_KEYWORD_POINTS = 25
BODY_KEYWORD_POINTS = 15
FOLLOWUP_POINTS = 10
VIP_POINTS = 30
PRIORITY_POINTS = 15


def is_vip(address: str, vip_senders: Sequence[str]) -> str | None:
    """The VIP entry that ``address`` matches (an address or an ``@domain``), if any.

    Only a real address can match: a malformed sender has none (see domain/senders.py).
    """
    address = address.strip().lower()
    local, at, domain = address.rpartition("@")
    if not (local and at and domain):
        return None
    for entry in vip_senders:
        wanted = entry.strip().lower()
        if not wanted:
            continue
        if wanted.startswith("@"):
            if domain == wanted[1:] or domain.endswith("." + wanted[1:]):
                return entry
        elif address == wanted:
            return entry
    return None


@dataclass(frozen=True)
class ConversationFacts:
    """What scoring looks at: the customer messages still waiting for an answer."""

    id: str
    customer_email: str
    subject: str
    waiting_texts: Sequence[tuple[str, str]]  # (subject, body) of unanswered customer messages
    followups: int
    high_priority: bool


@dataclass(frozen=True)
class Score:
    """Clock-independent urgency: points, band (normal or urgent) and a reason per point."""

    urgency: int
    band: int
    reasons: list[str]
    keywords: list[str]


def score(facts: ConversationFacts, config: TriageConfig, matcher: KeywordMatcher) -> Score:
    """Score a conversation without the SLA part (see :func:`supportinbox.domain.sla.level_at`)."""
    points = 0
    reasons: list[str] = []
    urgent = False
    in_subject: list[str] = []
    in_body: list[str] = []
    for subject, body in facts.waiting_texts:
        for word in matcher.find(subject):
            if word not in in_subject:
                in_subject.append(word)
        for word in matcher.find(body):
            if word not in in_body and word not in in_subject:
                in_body.append(word)
    in_body = [w for w in in_body if w not in in_subject]
    for word in in_subject[:2]:
        points += SUBJECT_KEYWORD_POINTS
        reasons.append(f"'{word}' in subject")
        urgent = True
    for word in in_body[: max(0, 2 - len(in_subject[:2]))]:
        points += BODY_KEYWORD_POINTS
        reasons.append(f"'{word}' in message")
        urgent = True
    if facts.followups > 0:
        points += FOLLOWUP_POINTS * min(facts.followups, 3)
        plural = "s" if facts.followups != 1 else ""
        reasons.append(f"{facts.followups} follow-up{plural} without reply")
        urgent = urgent or facts.followups >= 2
    vip = is_vip(facts.customer_email, config.vip_senders)
    if vip:
        points += VIP_POINTS
        reasons.append(f"VIP sender ({vip})")
        urgent = True
    if facts.high_priority:
        points += PRIORITY_POINTS
        reasons.append("sender marked it high priority")
        urgent = True
    return Score(
        urgency=points,
        band=BAND_URGENT if urgent else BAND_NORMAL,
        reasons=reasons,
        keywords=in_subject + in_body,
    )
