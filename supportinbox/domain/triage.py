"""Status, urgency and incidents of conversations: pure functions, every point explained.

Scoring gives each conversation its clock-independent band (normal or urgent) and points;
incidents lift groups of conversations to the incident band. The SLA part of the band and
the order within a band are the SLA rule's (:mod:`supportinbox.domain.sla`).
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from supportinbox.config import TriageConfig
from supportinbox.domain.sla import BAND_NORMAL, BAND_URGENT
from supportinbox.domain.threading import normalize_subject, short_id

SUBJECT_KEYWORD_POINTS = 25
BODY_KEYWORD_POINTS = 15
FOLLOWUP_POINTS = 10
VIP_POINTS = 30
PRIORITY_POINTS = 15
INCIDENT_POINTS = 25
INCIDENT_LOOKBACK = timedelta(days=7)


# --- status -----------------------------------------------------------------------------


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

    A customer writing after the manual change reopens closed, pending and snoozed
    conversations; a snooze also ends at its time; a manual ``open`` gives way once we
    reply after it.
    """
    if manual is None or manual_at is None:
        return derived
    customer_since = last_customer_at is not None and last_customer_at > manual_at
    agent_since = last_agent_at is not None and last_agent_at > manual_at
    if manual == "snoozed":
        if customer_since or snoozed_until is None or now >= snoozed_until:
            return "open"
        return "snoozed"
    if manual in ("closed", "pending"):
        return "open" if customer_since else manual
    if manual == "open":
        return derived if agent_since else "open"
    return derived


# --- keywords ---------------------------------------------------------------------------

# Arabic and Persian spell some letters differently (ي/ی, ك/ک); diacritics and the
# tatweel are decoration; the zero-width non-joiner is sometimes typed as a space.
_FOLD = str.maketrans(
    {
        "\u064a": "\u06cc",
        "\u0649": "\u06cc",
        "\u0643": "\u06a9",
        "\u0640": None,
        "\u200c": " ",
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
    }
)
_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+(?:'\w+)*")
# Clitics that attach to an Arabic word ("the", "and the", "with the", "for the", "and",
# "so", "with"), in folded spelling, longest first.
_ARABIC_CLITICS = ("وال", "بال", "فال", "کال", "لل", "ال", "و", "ف", "ب")


def _fold_chars(text: str) -> str:
    return _MARKS.sub("", unicodedata.normalize("NFKC", text).casefold().translate(_FOLD))


def fold_text(text: str) -> str:
    """Case-fold and normalise ``text`` for keyword matching in any of our languages."""
    return _SPACES.sub(" ", _fold_chars(text))


# ASCII characters that cannot be part of a word become spaces (the apostrophe stays).
_ASCII_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c in "_'")})


def words(text: str) -> list[str]:
    """The folded words of ``text`` (letters, digits and inner apostrophes)."""
    if not text.isascii():
        return _TOKEN.findall(_fold_chars(text))
    # ASCII (most mail): folding is lower-casing, and splitting on separators finds the
    # same words as the pattern at half the cost; only runs with an apostrophe need it.
    runs = text.lower().translate(_ASCII_SEPARATORS).split()
    if "'" not in text:
        return runs
    out: list[str] = []
    for run in runs:
        if "'" in run:
            out.extend(_TOKEN.findall(run))
        else:
            out.append(run)
    return out


@dataclass(frozen=True)
class KeywordMatcher:
    """Finds whole-word (and whole-phrase) urgent keywords, case-folded, in any script.

    Text is split into words once and looked up, so the cost is linear in the text
    whatever the number of keywords. An Arabic word also matches with a clitic attached
    ("الاسترداد" matches "استرداد").
    """

    originals: dict[tuple[str, ...], str]  # folded words -> the keyword as configured
    by_first: dict[str, tuple[tuple[str, ...], ...]]

    @classmethod
    def build(cls, keywords: Iterable[str]) -> KeywordMatcher:
        """A matcher for ``keywords`` (empty and duplicate keywords are ignored)."""
        originals: dict[tuple[str, ...], str] = {}
        for keyword in keywords:
            key = tuple(words(keyword))
            if key:
                originals.setdefault(key, keyword.strip())
        grouped: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for key in originals:
            grouped[key[0]].append(key)
        by_first = {first: tuple(sorted(keys, key=len, reverse=True)) for first, keys in grouped.items()}
        return cls(originals, by_first)

    def _candidates(self, word: str) -> tuple[tuple[str, ...], ...]:
        found = self.by_first.get(word)
        if found is None and "\u0600" <= word[0] <= "\u06ff":
            for clitic in _ARABIC_CLITICS:
                if word.startswith(clitic) and len(word) - len(clitic) >= 2:
                    found = self.by_first.get(word[len(clitic) :])
                    if found:
                        break
        return found or ()

    def find(self, text: str) -> list[str]:
        """The keywords found in ``text`` (as configured), in order of first occurrence.

        Where keywords overlap at one word ("refund" and "refund request"), the longest
        one that matches there counts.
        """
        if not self.by_first or not text:
            return []
        tokens = words(text)
        # Look each distinct word up once; most texts contain no keyword at all.
        hits = {token: keys for token in set(tokens) if (keys := self._candidates(token))}
        if not hits:
            return []
        first_at: dict[str, int] = {}
        for token, keys in hits.items():
            # Only the places where a candidate word occurs are visited (list.index scans in C).
            index = -1
            while True:
                try:
                    index = tokens.index(token, index + 1)
                except ValueError:
                    break
                for key in keys:
                    if tuple(tokens[index + 1 : index + len(key)]) == key[1:]:
                        keyword = self.originals[key]
                        if index < first_at.get(keyword, len(tokens)):
                            first_at[keyword] = index
                        break
        return sorted(first_at, key=first_at.__getitem__)


def matcher_for(config: TriageConfig) -> KeywordMatcher:
    """The matcher for the configured urgent keywords plus the extra ones."""
    return KeywordMatcher.build((*config.urgent_keywords, *config.extra_urgent_keywords))


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


# --- scoring ----------------------------------------------------------------------------


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


# --- incidents --------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
# Words that say nothing about which problem a customer has.
_STOPWORDS = frozenset(
    re.findall(
        r"\S+",
        """
    about after again also and another any anyone are been before being can cannot could
    dear does doing done from good have hello help here how issue issues just know like
    make need needs please problem problems question questions regarding request since
    some still support thank thanks that the their them then there this today urgent very
    want was what when where which while will with would your you yours order orders
    account hallo bitte frage problème bonjour merci hola gracias pregunta ayuda
    سلام مرحبا شكرا من فضلك مشكلة لطفا ممنون مشکل سوال
    """,
    )
)


@dataclass(frozen=True)
class IncidentCandidate:
    """An open conversation as incident detection sees it."""

    id: str
    customer: str
    when: datetime
    subject: str
    keywords: Sequence[str]


@dataclass(frozen=True)
class Incident:
    id: str
    signal: str
    customers: int
    span: timedelta
    conversation_ids: tuple[str, ...]

    @property
    def reason(self) -> str:
        """``"incident: 4 customers report 'login' in 3 h"``."""
        hours = max(1, math.ceil(self.span.total_seconds() / 3600))
        return f"incident: {self.customers} customers report '{self.signal}' in {hours} h"


def subject_tokens(subject: str) -> list[str]:
    """Distinctive words of a subject (no stop words, at least 4 letters)."""
    words = _WORD.findall(fold_text(normalize_subject(subject)))
    out: list[str] = []
    for word in words:
        if len(word) >= 4 and not word.isdigit() and word not in _STOPWORDS and word not in out:
            out.append(word)
    return out


def incident_cutoff(config: TriageConfig, now: datetime) -> datetime:
    """Conversations waiting since before this moment cannot be part of an incident at ``now``."""
    return now - max(INCIDENT_LOOKBACK, timedelta(hours=config.incident_window_hours))


def find_incidents(
    candidates: Sequence[IncidentCandidate], config: TriageConfig, now: datetime | None = None
) -> list[Incident]:
    """Group conversations reporting the same problem from enough customers in the window.

    A signal is an urgent keyword or a distinctive subject word shared by at least
    ``incident_min_customers`` different customers whose messages fall within
    ``incident_window_hours`` of each other. Each conversation joins at most one incident;
    the signal reported by the most customers wins; on a tie a subject word ("login")
    beats an urgent keyword ("broken") as it names what is affected. With ``now``, only
    the last :data:`INCIDENT_LOOKBACK` counts: an incident is about what happens now.
    """
    window = timedelta(hours=config.incident_window_hours)
    if now is not None:
        cutoff = incident_cutoff(config, now)
        candidates = [c for c in candidates if c.when >= cutoff]
    signals: dict[tuple[int, str], list[tuple[IncidentCandidate, int]]] = defaultdict(list)
    for cand in sorted(candidates, key=lambda c: (c.when, c.id)):
        for word in dict.fromkeys(cand.keywords):
            signals[(0, word)].append((cand, 0))
        for position, word in enumerate(subject_tokens(cand.subject)):
            if word not in cand.keywords:
                signals[(1, word)].append((cand, position))
    # Every conversation joins at most one incident, so the rank of a signal changes only
    # when an incident takes a member of its best group (taking others leaves that group,
    # the first window with the most customers, as it is). Only the signals so touched are
    # re-ranked: work follows the memberships, not signals x incidents. (A rank can also
    # improve, when the members left name the word earlier, so re-ranking is not deferred.)
    taken: set[str] = set()
    keys_of: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for key, members in signals.items():
        for cand, _ in members:
            keys_of[cand.id].append(key)
    # Per signal: its best group and the ids in it, as of its last evaluation.
    groups: dict[tuple[int, str], tuple[list[IncidentCandidate], set[str]]] = {}

    def evaluate(key: tuple[int, str]) -> tuple[int, int, float, str] | None:
        fresh = signals[key] = [(c, p) for c, p in signals[key] if c.id not in taken]
        group = _best_window([c for c, _ in fresh], window)
        customers = len({m.customer for m in group})
        if customers < config.incident_min_customers:
            groups.pop(key, None)
            return None
        ids = {c.id for c in group}
        groups[key] = (group, ids)
        positions = [p for c, p in fresh if c.id in ids]
        # Heap order: most customers, then subject words, then the word customers put first.
        return (-customers, -key[0], sum(positions) / len(positions), key[1])

    ranks: dict[tuple[int, str], tuple[int, int, float, str]] = {}
    for key, members in signals.items():
        if len({c.customer for c, _ in members}) >= config.incident_min_customers:
            rank = evaluate(key)
            if rank:
                ranks[key] = rank
    heap = [(rank, key) for key, rank in ranks.items()]
    heapq.heapify(heap)
    incidents: list[Incident] = []
    while heap:
        rank, key = heapq.heappop(heap)
        if ranks.get(key) != rank:  # re-ranked (or used) since this entry was pushed
            continue
        del ranks[key]
        group, _ = groups.pop(key)
        ident = "i" + short_id(f"{key[1]}|{group[0].id}", 6)
        incidents.append(
            Incident(
                id=ident,
                signal=key[1],
                customers=-rank[0],
                span=group[-1].when - group[0].when,
                conversation_ids=tuple(c.id for c in group),
            )
        )
        taken.update(c.id for c in group)
        touched = {k for c in group for k in keys_of[c.id] if k in groups and c.id in groups[k][1]}
        for other in sorted(touched):
            new_rank = evaluate(other)
            if new_rank is None:
                del ranks[other]
            elif new_rank != ranks[other]:
                ranks[other] = new_rank
                heapq.heappush(heap, (new_rank, other))
    return incidents


def _best_window(members: list[IncidentCandidate], window: timedelta) -> list[IncidentCandidate]:
    """The members (sorted by time) inside the window that holds the most different customers."""
    best_start = best_end = 0
    best_customers = 0
    start = 0
    counts: dict[str, int] = defaultdict(int)
    for end, member in enumerate(members):
        counts[member.customer] += 1
        while member.when - members[start].when > window:
            gone = members[start].customer
            counts[gone] -= 1
            if counts[gone] == 0:
                del counts[gone]
            start += 1
        if len(counts) > best_customers:
            # Remember the bounds only: copying the group at every improvement would be
            # quadratic when thousands of customers report the same thing at once.
            best_customers = len(counts)
            best_start, best_end = start, end + 1
    return members[best_start:best_end]
