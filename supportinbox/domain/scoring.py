"""Clock-independent urgency of a conversation: points and a band, every point explained.

Scoring gives each conversation its band (normal or urgent) and points; incidents
(:mod:`supportinbox.domain.incidents`) lift groups of conversations to the incident band.
The SLA part of the band and the order within a band are the SLA rule's
(:mod:`supportinbox.domain.sla`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from supportinbox.config import TriageConfig
from supportinbox.domain.keywords import KeywordMatcher, read
from supportinbox.domain.sla import BAND_NORMAL, BAND_URGENT
from supportinbox.domain.threading import is_reply_subject
from supportinbox.domain.vocabulary import (
    BLOCKING,
    ERROR_MENTION,
    MINOR,
    RESOLVED,
    STRONG_FAILURE,
    WEAK_FAILURE,
)

SUBJECT_KEYWORD_POINTS = 25
BODY_KEYWORD_POINTS = 15
FOLLOWUP_POINTS = 10
VIP_POINTS = 30
PRIORITY_POINTS = 15
FAILURE_POINTS = 15
ATTENTION_POINTS = 5


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
    """Score a conversation without the SLA part (see :func:`supportinbox.domain.sla.level_at`).

    Only what the customer wrote counts: ``waiting_texts`` carry their new text (no quotes,
    no signature), and the subject of a reply whose new text is a closing thank-you does
    not ("Re: URGENT outage" + "Thanks, works now" is not urgent). A failure that blocks
    ("not working", "error 502", "funktioniert nicht") is urgent unless the customer calls
    it minor; an error or a bug only mentioned raises attention.
    """
    points = 0
    reasons: list[str] = []
    urgent = False
    in_subject: list[str] = []
    in_body: list[str] = []
    failures: list[str] = []
    mentions: list[str] = []
    for subject, body in facts.waiting_texts:
        judged = read_report(subject, body)
        if not judged.closing or not is_reply_subject(subject):
            for word in matcher.find(subject):
                if word not in in_subject:
                    in_subject.append(word)
        for word in matcher.find(body):
            if word not in in_body and word not in in_subject:
                in_body.append(word)
        for word in judged.blocking_failures:
            if word not in failures:
                failures.append(word)
        for word in judged.failures + judged.mentions if judged.minor else judged.mentions:
            if word not in mentions:
                mentions.append(word)
    in_body = [w for w in in_body if w not in in_subject]
    for word in in_subject[:2]:
        points += SUBJECT_KEYWORD_POINTS
        reasons.append(f"'{word}' in subject")
        urgent = True
    for word in in_body[: max(0, 2 - len(in_subject[:2]))]:
        points += BODY_KEYWORD_POINTS
        reasons.append(f"'{word}' in message")
        urgent = True
    failures = [w for w in failures if w not in in_subject and w not in in_body]
    if failures and not urgent:
        points += FAILURE_POINTS
        reasons.append(f"reports a failure: '{failures[0]}'")
        urgent = True
    elif mentions and not urgent and not failures:
        points += ATTENTION_POINTS
        reasons.append(f"mentions '{mentions[0]}': maybe a problem, not urgent")
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


@dataclass(frozen=True)
class Report:
    """How a customer's message reads: a failure, a mention of an error, a closing thank-you."""

    failures: list[str]  # strong failure wording ("not working", "error 502")
    mentions: list[str]  # an error or a bug mentioned ("error", "bug", "cannot")
    minor: bool  # the customer says it is small ("no rush", "typo", "minor")
    blocking: bool  # it blocks people ("everyone", "every time", "since this morning")
    closing: bool  # a short thank-you saying it is solved

    @property
    def blocking_failures(self) -> list[str]:
        """Failure words that make the message urgent."""
        if self.minor:
            return []
        if self.failures:
            return self.failures
        return self.mentions[:1] if self.blocking else []

    @property
    def says_it_fails(self) -> bool:
        """A failure or an error named ("error when saving"), not only "cannot find" or "missing"."""
        return bool(self.failures or _ERROR.find(" ".join(self.mentions))) and not self.minor

    @property
    def is_problem(self) -> bool:
        """Whether the customer reports something not working (an incident candidate)."""
        return bool(self.failures or self.mentions) and not self.closing


_STRONG = KeywordMatcher.build(STRONG_FAILURE)
_WEAK = KeywordMatcher.build(WEAK_FAILURE)
_ERROR = KeywordMatcher.build(ERROR_MENTION)
_MINOR = KeywordMatcher.build(MINOR)
_BLOCKING = KeywordMatcher.build(BLOCKING)
_RESOLVED = KeywordMatcher.build(RESOLVED)
# "error 500", "HTTP 502": a code named as an error (a bare "500" may be a question about one).
_ERROR_CODE = re.compile(r"(?i)\b(?:error|erreur|fehler|erro|http|code)\s*[45]\d\d\b")
# "Is the API down?", "Exports down?": down at the end of a question (not "tone down the …").
_DOWN = re.compile(r"(?i)\b(?:down|offline)(?=\s*\?)")
_CLOSING_WORDS = 40


def read_report(subject: str, text: str) -> Report:
    """Read one customer message (subject and new text) for failure, impact and thanks."""
    both = f"{subject}\n{text}"
    # The matchers read the subject and the text as split once (the text is the one the
    # urgent keywords are looked for in too); the patterns read the joined string.
    said = read(text)
    read_both = read(subject) + said
    failures = _STRONG.find(read_both)
    # (Both patterns scan slowly ignoring case: a code needs a 4 or 5, a question a "?".)
    code = _ERROR_CODE.search(both) if "4" in both or "5" in both else None
    if code:
        failures.append(code.group(0))
    down = _DOWN.search(both) if "?" in both else None
    if down and not any(word.endswith("down") for word in failures):
        failures.append(down.group(0).lower())
    mentions = _WEAK.find(read_both)
    closing = (
        not failures
        and not mentions
        and "?" not in text
        and len(said.tokens) <= _CLOSING_WORDS
        and _RESOLVED.contains(said)
    )
    return Report(
        failures=failures,
        mentions=mentions,
        minor=_MINOR.contains(read_both),
        blocking=_BLOCKING.contains(read_both),
        closing=closing,
    )
