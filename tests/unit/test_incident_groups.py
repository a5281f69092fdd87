"""Incident grouping agrees with a plain compare-with-every-group reference on random mailboxes.

find_incidents compares a report only with the groups that share one of its stems and are
still inside the window; the reference compares it with every group (and merges the groups a
report bridges the same way), then joins groups that own a word as find_incidents does and
checks, pair by pair, that no two groups left could still join. Same groups, same order.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from supportinbox.config import TriageConfig
from supportinbox.domain import incidents
from supportinbox.domain.incidents import IncidentCandidate, find_incidents

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STEMS = (
    "login",
    "export",
    "pdf",
    "invoic",
    "gateway",
    "webhook",
    "502",
    "sso",
    "comment",
    "comentari",
    "funnel",
)

Group = tuple[int, tuple[str, ...]]


def reference(candidates: list[IncidentCandidate], config: TriageConfig) -> list[Group]:
    window = timedelta(hours=config.incident_window_hours)
    ordered = incidents._with_cognates(sorted(candidates, key=lambda c: (c.when, c.id)))
    groups: list[incidents._Group | None] = []
    frequency = incidents._frequency(ordered)
    for candidate, report in zip(ordered, incidents._reports(ordered, frequency), strict=True):
        if not report.full:
            continue
        scored = [
            (group.similarity(report), index)
            for index, group in enumerate(groups)
            if group is not None and candidate.when - group.first <= window
        ]
        matches = [
            index
            for score, index in sorted(scored, key=lambda p: (-p[0], p[1]))
            if score > incidents.SIMILARITY
        ]
        if not matches:
            matches = [len(groups)]
            groups.append(incidents._Group(candidate.when))
        best = groups[matches[0]]
        assert best is not None
        for index in matches[1:]:
            other = groups[index]
            assert other is not None
            bridged = min(best.shares(report), other.shares(report)) >= incidents.BRIDGE_STEMS
            if bridged and not other.is_incident(config):
                best.absorb(other)
                groups[index] = None
        best.add(candidate, report)
    live = [g for g in groups if g is not None]
    joined: set[int] = set()
    incidents._join_fragments(live, joined, frequency, config, window)
    fragments = [g for index, g in enumerate(live) if index not in joined]
    for a in fragments:
        for b in fragments:
            if a is not b and len(a.members) >= 2 and len(b.members) >= 2:
                for stem in set(a.uses) & set(b.uses):
                    own = len(a.members) + len(b.members) >= incidents._OWN_SHARE * frequency[stem]
                    long_enough = len(stem) >= incidents._OWN_STEM
                    assert not (own and long_enough and incidents._fragments_join(a, b, stem, config, window))
    left = _join_lone_reports(fragments, ordered, config, window)
    return [
        (len({m.customer for m in g.members}), tuple(m.id for m in g.members))
        for g in left
        if g.is_incident(config)
    ]


def _join_lone_reports(
    groups: list[incidents._Group],
    ordered: list[IncidentCandidate],
    config: TriageConfig,
    window: timedelta,
) -> list[incidents._Group]:
    """Each lone report (or agreeing pair) into the largest group whose own word it names, read plainly."""
    words = {c.id: {s for s, _ in (*c.subject_terms, *c.text_terms)} for c in ordered}
    failure = incidents._failure_stems()
    into: dict[int, int] = {}
    for index, lone in enumerate(groups):
        if lone.is_incident(config) or len(lone.members) > 2:
            continue
        if len(lone.members) == 2:
            a, b = (words[m.id] - failure for m in lone.members)
            if len(a & b) < incidents.BRIDGE_STEMS:
                continue
        fits = []
        for report in lone.members:
            for owner, incident in enumerate(groups):
                if owner == index or len(incident.members) < 2 or abs(report.when - incident.first) > window:
                    continue
                if len(lone.members) == 2 and not incident.is_incident(config):
                    continue
                quoted = incidents._quoted_stems(report)
                own = [
                    w
                    for w in words[report.id]
                    if w not in incident.uses
                    and w not in failure
                    and not w.isdigit()
                    and not (w in quoted and quoted[w] <= set(incident.uses))
                ]
                if len(own) > incidents._OWN_WORDS:
                    continue
                start = min(incident.members[0].when, report.when) - window
                end = max(incident.members[-1].when, report.when) + window
                members = {m.id for m in incident.members} | {m.id for m in lone.members}
                for stem in {s for s, _ in report.subject_terms}:
                    every = all(stem in words[m.id] for m in incident.members)
                    others = [
                        c
                        for c in ordered
                        if c.id not in members and start <= c.when <= end and stem in words[c.id]
                    ]
                    # A pair grows only by a long word that is no product word many features share.
                    sure = incident.is_incident(config) or (
                        len(stem) >= incidents._PAIR_STEM and stem not in incidents.concept_stems()
                    )
                    if len(stem) >= incidents._OWN_STEM and sure and every and not others:
                        fits.append((-len(incident.members), owner))
        if fits:
            into[index] = min(fits)[1]
    for index, owner in into.items():
        while owner in into:  # a pair that took a report in joined an incident itself
            owner = into[owner]
        groups[owner].absorb(groups[index])
    return [g for index, g in enumerate(groups) if index not in into]


Row = tuple[int, int, list[str], list[str], bool]  # customer, minutes ago, subject, text, failing


def _candidates(rows: list[Row]) -> list[IncidentCandidate]:
    return [
        IncidentCandidate(
            id=f"c{i:02d}",
            customer=f"u{who}@c.test",
            when=NOW - timedelta(minutes=minutes),
            subject_terms=[(s, s) for s in dict.fromkeys(subject)],
            text_terms=[(s, s) for s in dict.fromkeys(text)],
            failing=failing,
        )
        for i, (who, minutes, subject, text, failing) in enumerate(rows)
    ]


reports = st.lists(
    st.tuples(
        st.integers(0, 6),  # customer
        st.integers(0, 48 * 60),  # minutes ago
        st.lists(st.sampled_from(STEMS), max_size=3),  # subject stems
        st.lists(st.sampled_from(STEMS), max_size=3),  # first-sentence stems
        st.booleans(),  # says something fails (not only mentions a problem)
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(reports, st.sampled_from((2, 3)), st.sampled_from((1.0, 6.0, 24.0)))
def test_grouping_matches_the_reference(rows: list[Row], min_customers: int, window_hours: float) -> None:
    candidates = _candidates(rows)
    config = TriageConfig(incident_min_customers=min_customers, incident_window_hours=window_hours)
    got = [(i.customers, i.conversation_ids) for i in find_incidents(candidates, config)]
    assert got == reference(candidates, config)


FEATURES = ("funnel", "heatmap", "payslip", "webhook", "kanban", "voucher", "escan")
OTHERS = ("build", "convers", "analyt", "screenshot", "rule", "claim", "expens", "assign")

few_reports = st.lists(
    st.tuples(
        st.integers(0, 9),
        st.integers(0, 30 * 60),
        st.lists(st.sampled_from(FEATURES + OTHERS), min_size=1, max_size=3),
        st.lists(st.sampled_from(FEATURES + OTHERS), max_size=2),
        st.booleans(),
    ),
    min_size=4,
    max_size=14,
)


@settings(max_examples=400, deadline=None)
@given(few_reports, st.sampled_from((2, 3)), st.sampled_from((6.0, 24.0)))
def test_groups_that_name_their_own_feature_join_as_the_reference_does(
    rows: list[Row], min_customers: int, window_hours: float
) -> None:
    # Fewer reports over more words than above: groups own a word, and fragments join.
    candidates = _candidates(rows)
    config = TriageConfig(incident_min_customers=min_customers, incident_window_hours=window_hours)
    found = [(i.customers, i.conversation_ids) for i in find_incidents(candidates, config)]
    assert found == reference(candidates, config)
