"""The queue with each incident folded into one row that expands to its conversations."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.sla import BAND_INCIDENT, BAND_NORMAL, BAND_URGENT
from supportinbox.store.incident_head import IncidentMember
from supportinbox.tui.incident_rows import IncidentFolding


def row(ident: str, band: int, incident: str | None = None, customer: str = "") -> ConversationSummary:
    return ConversationSummary(
        id=ident,
        subject=f"subject {ident}",
        customer_email=customer or f"{ident}@c.test",
        customer_name=ident,
        status="open",
        urgency=0,
        band=band,
        reasons=["incident: 3 customers report 'sso' in 1 h"] if incident else [],
        last_message_at=None,
        waiting_since=None,
        message_count=1,
        unread_count=1,
        assigned_to=None,
        incident_id=incident,
        snoozed_until=None,
    )


QUEUE = [
    row("conv0001", BAND_INCIDENT, "iaaaaaa"),
    row("conv0002", BAND_INCIDENT, "ibbbbbb"),
    row("conv0003", BAND_INCIDENT, "iaaaaaa"),
    row("conv0004", BAND_INCIDENT, "iaaaaaa"),
    row("conv0005", BAND_INCIDENT, "ibbbbbb"),
    row("conv0006", BAND_INCIDENT, "ibbbbbb"),
    row("conv0007", BAND_URGENT),
    *(row(f"conv1{i:03d}", BAND_NORMAL) for i in range(500)),
]


def members(queue: list[ConversationSummary]) -> list[IncidentMember]:
    """The incidents' conversations at the head of ``queue``, as the store reads them."""
    return [
        IncidentMember(r.id, r.incident_id, r.customer_email, r.unread_count, r.waiting_since, r.sla_level)
        for r in queue
        if r.band >= BAND_INCIDENT and r.incident_id
    ]


def lines_of(queue: list[ConversationSummary]) -> Callable[[Sequence[str]], list[ConversationSummary]]:
    by_id = {r.id: r for r in queue}
    return lambda ids: [by_id[i] for i in ids if i in by_id]


def folding(expanded: set[str]) -> IncidentFolding:
    return IncidentFolding(
        lambda: len(QUEUE),
        lambda offset, limit: QUEUE[offset : offset + limit],
        lambda: members(QUEUE),
        lines_of(QUEUE),
        expanded,
    )


def test_each_incident_is_one_row_in_the_place_of_its_first_member() -> None:
    view = folding(set())
    assert view.count() == len(QUEUE) - 6 + 2
    first = view.page(0, 4)
    assert [r.id for r in first] == ["iaaaaaa", "ibbbbbb", "conv0007", "conv1000"]
    assert first[0].customer_name == "3 customers" and first[0].message_count == 3
    assert first[0].subject == "▸ incident: 'sso' in 1 h"
    incident = view.incident_of(first[0])
    assert incident is not None and incident.members == ("conv0001", "conv0003", "conv0004")
    assert view.incident_of(first[2]) is None
    # Later pages continue the queue without gaps or repeats.
    assert [r.id for r in view.page(3, 2)] == ["conv1000", "conv1001"]
    assert [r.id for r in view.page(100, 2)] == ["conv1097", "conv1098"]


def test_an_incident_row_is_as_late_as_its_longest_wait() -> None:
    """The row showed its first (newest) report's "ok" beside its oldest report's wait."""
    from dataclasses import replace

    from supportinbox.domain.sla import LEVEL_BREACHED, LEVEL_OK, LEVEL_WARN

    levels = {"conv0001": LEVEL_OK, "conv0003": LEVEL_WARN, "conv0004": LEVEL_BREACHED}
    waits = {"conv0001": "2026-12-07T09:40:00+00:00", "conv0004": "2026-12-07T09:00:00+00:00"}
    queue = [replace(r, sla_level=levels.get(r.id, LEVEL_OK), waiting_since=waits.get(r.id)) for r in QUEUE]
    view = IncidentFolding(
        lambda: len(queue),
        lambda offset, limit: queue[offset : offset + limit],
        lambda: members(queue),
        lines_of(queue),
        set(),
    )
    view.count()
    head = view.page(0, 2)
    assert head[0].id == "iaaaaaa" and head[0].waiting_since == waits["conv0004"]
    assert head[0].sla_level == LEVEL_BREACHED
    assert head[1].id == "ibbbbbb" and head[1].sla_level == LEVEL_OK


def test_an_expanded_incident_shows_its_conversations_under_its_row() -> None:
    view = folding({"ibbbbbb"})
    assert view.count() == len(QUEUE) - 6 + 2 + 3
    assert [r.id for r in view.page(0, 7)] == [
        "iaaaaaa",
        "ibbbbbb",
        "conv0002",
        "conv0005",
        "conv0006",
        "conv0007",
        "conv1000",
    ]
    assert view.page(1, 1)[0].subject.startswith("▾ ")


def test_a_conversation_is_found_where_the_folded_view_shows_it() -> None:
    # The cursor follows its conversation through a refresh by asking where it is now.
    def unfolded(ident: str) -> int | None:
        return next((i for i, r in enumerate(QUEUE) if r.id == ident), None)

    folded = folding(set())
    folded.count()
    assert folded.locate("ibbbbbb", unfolded) == 1  # an incident's own row
    assert folded.locate("conv0003", unfolded) == 0  # a folded member: at its incident's row
    assert folded.locate("conv0007", unfolded) == 2
    assert folded.locate("conv1097", unfolded) == 100
    assert folded.locate("gone0001", unfolded) is None
    opened = folding({"iaaaaaa"})
    opened.count()
    assert opened.locate("conv0003", unfolded) == 2  # unfolded: its own row under the incident
    assert opened.locate("conv1000", unfolded) == 6
    assert [r.id for r in opened.page(6, 1)] == ["conv1000"]


@pytest.mark.parametrize("reports", [1, 33, 233, 900])
def test_a_head_of_many_reports_reads_whole_lines_only_for_the_rows_shown(reports: int) -> None:
    """An outage reported by hundreds of customers is one row: switching to its view reads
    one line per incident (and the page under the head), not a line per report."""
    queue = [row(f"inc{i:04d}", BAND_INCIDENT, f"i{i % 3}aaaaa") for i in range(reports)]
    queue += [row(f"conv{i:04d}", BAND_NORMAL) for i in range(50)]
    reads: list[tuple[int, int]] = []
    asked: list[str] = []
    lines = lines_of(queue)

    def page(offset: int, limit: int) -> list[ConversationSummary]:
        reads.append((offset, limit))
        return queue[offset : offset + limit]

    def shown(ids: Sequence[str]) -> list[ConversationSummary]:
        asked.extend(ids)
        return lines(ids)

    view = IncidentFolding(lambda: len(queue), page, lambda: members(queue), shown, set())
    incidents = min(reports, 3)
    assert view.count() == incidents + 50
    assert asked == [f"inc{i:04d}" for i in range(incidents)]  # each incident's first report
    rest = ["conv0000", "conv0001", "conv0002", "conv0003"][: 5 - incidents]
    assert [r.id for r in view.page(0, 5)] == [f"i{i}aaaaa" for i in range(incidents)] + rest
    assert reads == [(reports, 5 - incidents)]  # the page under the head, nothing above it
    assert sum(len(m.members) for m in view.incidents.values()) == reports
    assert view.incidents["i0aaaaa"].members[:2] == tuple(f"inc{i:04d}" for i in range(0, min(reports, 4), 3))


def test_a_report_gone_between_the_two_reads_is_left_out() -> None:
    """The head and the lines are two reads: a conversation a sync removed in between is
    not shown (the next load counts it right), and nothing fails."""
    lines = lines_of(QUEUE)
    view = IncidentFolding(
        lambda: len(QUEUE),
        lambda offset, limit: QUEUE[offset : offset + limit],
        lambda: members(QUEUE),
        lambda ids: [r for r in lines(ids) if r.id != "conv0001"],
        set(),
    )
    view.count()
    head = view.page(0, 3)
    assert [r.id for r in head] == ["iaaaaaa", "ibbbbbb", "conv0007"]
    assert head[0].subject == "▸ incident: 'sso' in 1 h" and head[0].message_count == 3
