"""The incident detection the product had before the stemmed similarity (for bench/queue_bench.py).

A signal was an urgent keyword or a subject word of 4+ letters shared by enough customers
inside the window; signals were ranked through tuples negated into heap order.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from supportinbox.config import TriageConfig
from supportinbox.domain.keywords import fold_text
from supportinbox.domain.threading import normalize_subject, short_id

INCIDENT_LOOKBACK = timedelta(days=7)

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
