"""Incident grouping agrees with a plain re-rank-everything reference on random mailboxes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from supportinbox.config import TriageConfig
from supportinbox.domain.incidents import IncidentCandidate, find_incidents, subject_tokens

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WORDS = ("login", "export", "invoice", "gateway", "webhook")
KEYWORDS = ("down", "refund")

Group = tuple[str, int, tuple[str, ...]]


def reference(candidates: list[IncidentCandidate], config: TriageConfig) -> list[Group]:
    """Greedy grouping that re-ranks every signal after every incident (slow, obvious).

    Each signal names one incident at most; each conversation joins one at most.
    """
    window = timedelta(hours=config.incident_window_hours)
    ordered = sorted(candidates, key=lambda c: (c.when, c.id))
    signals: dict[tuple[int, str], list[tuple[IncidentCandidate, int]]] = {}
    for c in ordered:
        for word in dict.fromkeys(c.keywords):
            signals.setdefault((0, word), []).append((c, 0))
        for position, word in enumerate(subject_tokens(c.subject)):
            if word not in c.keywords:
                signals.setdefault((1, word), []).append((c, position))
    taken: set[str] = set()
    found: list[Group] = []
    while True:
        best: tuple[tuple[int, int, float, str], tuple[int, str], list[IncidentCandidate]] | None = None
        for key, members in signals.items():
            fresh = [(c, p) for c, p in members if c.id not in taken]
            group: list[IncidentCandidate] = []
            for end, (last, _) in enumerate(fresh):
                inside = [c for c, _ in fresh[: end + 1] if last.when - c.when <= window]
                if len({c.customer for c in inside}) > len({c.customer for c in group}):
                    group = inside
            customers = len({c.customer for c in group})
            if customers < config.incident_min_customers:
                continue
            positions = [p for c, p in fresh if c in group]
            rank = (-customers, -key[0], sum(positions) / len(positions), key[1])
            if best is None or rank < best[0]:
                best = (rank, key, group)
        if best is None:
            return found
        rank, key, group = best
        del signals[key]
        found.append((rank[3], -rank[0], tuple(c.id for c in group)))
        taken.update(c.id for c in group)


reports = st.lists(
    st.tuples(
        st.integers(0, 6),  # customer
        st.integers(0, 48 * 60),  # minutes ago
        st.lists(st.sampled_from(WORDS), max_size=3),
        st.lists(st.sampled_from(KEYWORDS), max_size=2),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(reports, st.sampled_from((2, 3)), st.sampled_from((1.0, 6.0, 24.0)))
def test_grouping_matches_the_reference(
    rows: list[tuple[int, int, list[str], list[str]]], min_customers: int, window_hours: float
) -> None:
    candidates = [
        IncidentCandidate(
            id=f"c{i:02d}",
            customer=f"u{who}@c.test",
            when=NOW - timedelta(minutes=minutes),
            subject=" ".join(words),
            keywords=keywords,
        )
        for i, (who, minutes, words, keywords) in enumerate(rows)
    ]
    config = TriageConfig(incident_min_customers=min_customers, incident_window_hours=window_hours)
    got = [(i.signal, i.customers, i.conversation_ids) for i in find_incidents(candidates, config)]
    assert got == reference(candidates, config)
