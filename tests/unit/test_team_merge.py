"""Three-way merge of shared state: who wins when teammates change the same conversation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from supportinbox.domain.when import said_now
from supportinbox.team.keywords import Resolution, TeamState
from supportinbox.team.merge import merge
from supportinbox.team.server import Change, change_from

NONE = TeamState()


def server(state: TeamState, writer: str | None = None, claimants: tuple[str, ...] = ()) -> Resolution:
    found = claimants or ((state.assigned_to,) if state.assigned_to else ())
    return Resolution(state, found, writer)


def test_nothing_changed_nothing_to_do() -> None:
    state = TeamState("pending", None, "bob")
    decision = merge(state, state, server(state, "bob"), "alice")
    assert decision.state == state and decision.push is None and decision.notices == []


def test_teammates_change_is_taken_and_told() -> None:
    decision = merge(NONE, NONE, server(TeamState("closed", None, "bob"), "bob"), "alice")
    assert decision.state == TeamState("closed", None, "bob") and decision.push is None
    assert [n.text for n in decision.notices] == ["bob set it closed", "bob holds it now"]


def test_local_change_is_pushed() -> None:
    local = TeamState("pending", None, "alice")
    decision = merge(local, NONE, server(NONE), "alice")
    assert decision.state == local
    assert decision.push == Change("pending", None, "alice", True, True, (None, "alice"))


def test_both_changed_status_local_is_written_last_and_wins() -> None:
    base = TeamState("open")
    decision = merge(TeamState("closed"), base, server(TeamState("pending"), "bob"), "alice")
    assert decision.state == TeamState("closed")
    assert decision.push is not None and decision.push.sets_status and not decision.push.sets_claim
    assert decision.notices[0].kind == "conflict" and "bob set it pending" in decision.notices[0].text


def test_both_claimed_the_server_claim_came_first_and_wins() -> None:
    decision = merge(
        TeamState(None, None, "alice"), NONE, server(TeamState(None, None, "bob"), "bob"), "alice"
    )
    assert decision.state.assigned_to == "bob" and decision.push is None
    assert decision.notices[0].kind == "conflict" and "bob took it first" in decision.notices[0].text


def test_release_racing_a_reassignment_loses() -> None:
    base = TeamState(None, None, "alice")
    decision = merge(NONE, base, server(TeamState(None, None, "carol"), "bob"), "alice")
    assert decision.state.assigned_to == "carol"
    assert "your release was dropped" in decision.notices[0].text


def test_independent_fields_merge() -> None:
    # alice closed it offline while bob claimed it: both survive.
    decision = merge(TeamState("closed"), NONE, server(TeamState(None, None, "bob"), "bob"), "alice")
    assert decision.state == TeamState("closed", None, "bob")
    assert decision.push is not None and decision.push.sets_status and not decision.push.sets_claim


def test_loser_of_coexisting_claims_is_told() -> None:
    resolution = server(TeamState(None, None, "alice"), "alice", claimants=("alice", "bob"))
    decision = merge(NONE, NONE, resolution, "bob")
    assert any("claimed it at the same time as you" in n.text for n in decision.notices)


def test_snooze_compared_to_the_minute() -> None:
    local = TeamState("snoozed", "2026-12-01T09:00:42+00:00")
    remote = TeamState("snoozed", "2026-12-01T09:00:00+00:00")
    decision = merge(local, remote, server(remote, "alice"), "alice")
    assert decision.push is None


def test_change_from_only_names_what_differs() -> None:
    change = change_from(TeamState("open", None, "bob"), TeamState("closed", None, "bob"))
    assert change.sets_status and not change.sets_claim and change.expect_holder is None
    assert change.apply(TeamState("open", None, "carol")) == TeamState("closed", None, "carol")


def test_status_time_is_kept_by_claim_only_writes() -> None:
    current = Resolution(TeamState("closed"), (), "bob", written_at="2026-11-26T04:00:00+00:00")
    claim = Change(assigned_to="alice", sets_claim=True)
    assert claim.status_time(current) == "2026-11-26T04:00:00+00:00"
    close = change_from(TeamState("open"), TeamState("closed"), "2026-11-26T05:00:00+00:00")
    assert close.status_time(current) == "2026-11-26T05:00:00+00:00"


def test_a_hand_over_from_the_holder_is_told_to_the_new_holder() -> None:
    held = TeamState("open", None, "alice")
    decision = merge(held, held, server(TeamState("open", None, "bob"), "alice"), "bob")
    assert decision.state == TeamState("open", None, "bob") and decision.push is None
    assert [n.text for n in decision.notices] == ["alice assigned it to you"]


def test_a_hand_over_in_keywords_names_who_held_it_before() -> None:
    """Keywords do not say who wrote them: "a teammate assigned it to you" named nobody."""
    held = TeamState("open", None, "alice")
    decision = merge(held, held, server(TeamState("open", None, "bob"), None), "bob")
    assert [(n.agent, n.text) for n in decision.notices] == [
        ("alice", "it is yours now (alice held it before)")
    ]
    nobody = TeamState("open")  # unclaimed before: nobody to name
    decision = merge(nobody, nobody, server(TeamState("open", None, "bob"), None), "bob")
    assert [n.text for n in decision.notices] == ["a teammate assigned it to you"]
    # Unless the hand-over note that came with it says who.
    decision = merge(nobody, nobody, server(TeamState("open", None, "bob"), None), "bob", "alice")
    assert [(n.agent, n.text) for n in decision.notices] == [("alice", "alice assigned it to you")]


def test_taking_ones_own_claim_back_from_the_server_says_nothing() -> None:
    held = TeamState("open", None, "alice")
    decision = merge(held, held, server(TeamState("open", None, "bob"), "bob"), "bob")
    assert decision.notices == []


@pytest.fixture
def tehran_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The agent's local zone is Tehran (UTC+03:30)."""
    monkeypatch.setenv("TZ", "Asia/Tehran")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("tehran_clock")
def test_a_teammates_snooze_is_told_with_a_readable_time() -> None:
    snoozed = TeamState("snoozed", "2026-12-07T02:10:00+00:00", None)
    decision = merge(TeamState("open"), TeamState("open"), server(snoozed, "bob"), "alice")
    # Said as every screen says a time, when it is read: the evening before, then days later.
    evening = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)  # 23:30 in Tehran
    assert [said_now(n.text, evening) for n in decision.notices] == [
        "bob set it snoozed until tomorrow 05:40"
    ]
    later = evening + timedelta(days=5)
    assert [said_now(n.text, later) for n in decision.notices] == ["bob set it snoozed until Mon 7 Dec 05:40"]


@pytest.mark.usefixtures("tehran_clock")
def test_a_snooze_time_with_an_offset_is_told_in_the_local_clock() -> None:
    snoozed = TeamState("snoozed", "2026-12-07T03:10:00+01:00", None)
    decision = merge(TeamState("open"), TeamState("open"), server(snoozed, "bob"), "alice")
    later = datetime(2026, 12, 11, 20, 0, tzinfo=UTC)
    assert [said_now(n.text, later) for n in decision.notices] == ["bob set it snoozed until Mon 7 Dec 05:40"]


def test_a_lost_claim_says_whose_it_was_in_the_users_words() -> None:
    # alice claimed it offline; bob's claim reached the server first.
    mine = merge(TeamState(None, None, "alice"), NONE, server(TeamState(None, None, "bob"), "bob"), "alice")
    assert mine.notices[0].text == "bob took it first; your claim was dropped"
    # alice handed it to carol offline; bob's claim came first.
    handed = merge(TeamState(None, None, "carol"), NONE, server(TeamState(None, None, "bob"), "bob"), "alice")
    assert handed.notices[0].text == "bob took it first; your hand-over to carol was dropped"
