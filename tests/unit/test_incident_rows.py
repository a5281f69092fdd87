"""The queue with each incident folded into one row that expands to its conversations."""

from __future__ import annotations

import pytest

from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.sla import BAND_INCIDENT, BAND_NORMAL, BAND_URGENT
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


def folding(expanded: set[str]) -> IncidentFolding:
    return IncidentFolding(lambda: len(QUEUE), lambda offset, limit: QUEUE[offset : offset + limit], expanded)


def test_each_incident_is_one_row_in_the_place_of_its_first_member() -> None:
    view = folding(set())
    assert view.count() == len(QUEUE) - 6 + 2
    first = view.page(0, 4)
    assert [r.id for r in first] == ["iaaaaaa", "ibbbbbb", "conv0007", "conv1000"]
    assert first[0].customer_name == "3 customers" and first[0].message_count == 3
    assert first[0].subject == "▸ incident: 'sso' in 1 h"
    incident = view.incident_of(first[0])
    assert incident is not None and [m.id for m in incident.members] == ["conv0001", "conv0003", "conv0004"]
    assert view.incident_of(first[2]) is None
    # Later pages continue the queue without gaps or repeats.
    assert [r.id for r in view.page(3, 2)] == ["conv1000", "conv1001"]
    assert [r.id for r in view.page(100, 2)] == ["conv1097", "conv1098"]


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


@pytest.mark.parametrize("members", [31, 32, 33, 231, 232, 233])
def test_a_head_of_incidents_longer_than_one_page_is_folded_whole(members: int) -> None:
    """The head is read in pages (a short first one): incidents across page ends fold whole."""
    queue = [row(f"inc{i:04d}", BAND_INCIDENT, f"i{i % 3}aaaaa") for i in range(members)]
    queue += [row(f"conv{i:04d}", BAND_NORMAL) for i in range(50)]
    reads: list[tuple[int, int]] = []

    def page(offset: int, limit: int) -> list[ConversationSummary]:
        reads.append((offset, limit))
        return queue[offset : offset + limit]

    view = IncidentFolding(lambda: len(queue), page, set())
    assert view.count() == 3 + 50
    assert [r.id for r in view.page(0, 5)] == ["i0aaaaa", "i1aaaaa", "i2aaaaa", "conv0000", "conv0001"]
    assert sum(len(m.members) for m in view.incidents.values()) == members
    assert reads[0] == (0, 32)  # a view switch reads a short head first


def test_the_first_page_after_counting_takes_the_rows_counting_read() -> None:
    reads: list[tuple[int, int]] = []

    def page(offset: int, limit: int) -> list[ConversationSummary]:
        reads.append((offset, limit))
        return QUEUE[offset : offset + limit]

    view = IncidentFolding(lambda: len(QUEUE), page, set())
    fresh = folding(set())
    assert view.count() == fresh.count()
    assert reads == [(0, 32)]
    assert view.page(0, 200) == fresh.page(0, 200)
    assert reads == [(0, 32), (32, 172)]  # 2 incident rows (6 folded), 26 rows kept from counting, 172 read
    # Later pages read afresh (the queue may have moved on since it was counted).
    assert view.page(0, 10) == fresh.page(0, 10) and reads[-1] == (6, 8)
    assert view.page(150, 10) == fresh.page(150, 10)
