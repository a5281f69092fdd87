"""The bounded $si- keyword scheme: a fixed set of atoms, slots, details, deterministic merging."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportinbox.team import legacy
from supportinbox.team.keywords import (
    ALL_KEYWORDS,
    PROBE,
    SENDING,
    SLOTS,
    STATE,
    Detail,
    KeywordError,
    MessageFlags,
    TeamState,
    holder_keyword,
    is_atom,
    is_current_keyword,
    is_legacy_keyword,
    plan_store,
    resolve,
    status_keyword,
    target_keywords,
)

AGENTS = {1: "alice", 2: "bob", 3: "carol", 4: "Zoë", 5: "علی"}
SLOT_OF = {name: slot for slot, name in AGENTS.items()}


def msg(uid: int, modseq: int, *flags: str) -> MessageFlags:
    return MessageFlags(uid, modseq, tuple(flags))


def test_the_scheme_is_a_small_fixed_set_of_atoms() -> None:
    assert len(ALL_KEYWORDS) == len(set(ALL_KEYWORDS)) == 19 <= 20
    assert all(is_atom(k) and k.startswith("$si-") and len(k) <= 20 for k in ALL_KEYWORDS)
    # No keyword name carries an agent, a time or an id.
    assert not any(any(c.isupper() for c in k) for k in ALL_KEYWORDS)
    assert holder_keyword(1) == "$si-holder-1" and holder_keyword(SLOTS) == "$si-holder-12"
    assert status_keyword("closed") == "$si-status-closed"
    assert {STATE, SENDING, PROBE} <= set(ALL_KEYWORDS)


def test_bad_values_are_refused() -> None:
    for slot in (0, SLOTS + 1, -1):
        with pytest.raises(KeywordError):
            holder_keyword(slot)
    with pytest.raises(KeywordError):
        status_keyword("deleted")
    with pytest.raises(KeywordError, match="no team slot"):
        target_keywords(TeamState(assigned_to="dave"), SLOT_OF)


@pytest.mark.parametrize(
    "flag",
    [
        "$si-at-20261126T045912Z",
        "$si-by-alice",
        "$si-seen-bob",
        "$si-claim-carol",
        "$si-snooze-20261201T0900Z",
    ],
)
def test_per_agent_and_per_time_keywords_are_legacy(flag: str) -> None:
    assert is_legacy_keyword(flag) and not is_current_keyword(flag)


@pytest.mark.parametrize(
    "flag",
    ["\\Seen", "$Junk", "$si-holder-0", "$si-holder-13", "$si-holder-01", "$si-holder-x", "$si-status-x"],
)
def test_foreign_and_malformed_flags_carry_no_state(flag: str) -> None:
    result = resolve([msg(1, 5, STATE, flag)], AGENTS)
    assert result.state == TeamState() and result.claimants == ()


def test_untouched_conversation_has_no_state() -> None:
    result = resolve([msg(1, 5, "\\Seen"), msg(2, 6)], AGENTS)
    assert result.state == TeamState()
    assert result.claimants == () and not result.divergent and result.last_writer is None


def test_last_written_message_by_modseq_gives_the_status() -> None:
    result = resolve(
        [msg(1, 9, STATE, "$si-status-closed"), msg(2, 7, STATE, "$si-status-pending")],
        AGENTS,
    )
    assert result.state.status == "closed" and result.modseq == 9 and result.divergent


def test_modseq_tie_is_broken_by_uid_then_fixed_precedence() -> None:
    tie = resolve([msg(4, 9, STATE, "$si-status-pending"), msg(3, 9, STATE, "$si-status-closed")], AGENTS)
    assert tie.state.status == "pending"
    both = resolve([msg(1, 9, STATE, "$si-status-open", "$si-status-closed")], AGENTS)
    assert both.state.status == "closed"


def test_a_written_message_without_status_means_no_status() -> None:
    # Bob cleared the status on message 1 after it was closed everywhere; message 2's
    # STORE did not land. The last written one decides.
    result = resolve([msg(1, 20, STATE), msg(2, 10, STATE, "$si-status-closed")], AGENTS)
    assert result.state.status is None
    # Keywords on a message not marked as written by a client are not its state.
    assert resolve([msg(1, 3, "$si-status-closed")], AGENTS).state.status is None


def test_case_changed_by_the_server_is_read_the_same() -> None:
    result = resolve([msg(1, 2, "$SI-STATE", "$Si-Status-Closed", "$SI-HOLDER-2")], AGENTS)
    assert result.state == TeamState("closed", None, "bob")


def test_coexisting_claims_resolve_to_the_lowest_slot_in_any_order() -> None:
    messages = [
        msg(1, 10, STATE, "$si-status-open", "$si-holder-3"),
        msg(2, 11, STATE, "$si-status-open", "$si-holder-2", "$si-holder-3"),
        msg(3, 12, "$si-holder-2"),
    ]
    for order in (messages, messages[::-1], messages[1:] + messages[:1]):
        result = resolve(order, AGENTS)
        assert result.state.assigned_to == "bob"
        assert result.claimants == ("bob", "carol") and result.losers == ("carol",)
        assert result.divergent


def test_a_holder_slot_nobody_is_registered_in_is_ignored() -> None:
    result = resolve([msg(1, 2, STATE, "$si-holder-9")], AGENTS)
    assert result.state.assigned_to is None and result.claimants == ()


def test_details_give_writer_time_and_snooze() -> None:
    details = [
        Detail(4, "closed", None, "alice", "2026-11-20T10:00:00+00:00"),
        Detail(9, "snoozed", "2026-12-01T09:00:00+00:00", "bob", "2026-11-26T05:00:00+00:00"),
    ]
    result = resolve([msg(1, 2, STATE, "$si-status-snoozed")], AGENTS, details)
    assert result.state == TeamState("snoozed", "2026-12-01T09:00:00+00:00")
    assert result.last_writer == "bob" and result.written_at == "2026-11-26T05:00:00+00:00"
    # The STORE of a later close landed but its detail did not: the close is no older than
    # the newest detail, and its writer is the one of the last matching detail.
    closed = resolve([msg(1, 3, STATE, "$si-status-closed")], AGENTS, details)
    assert closed.state.status == "closed" and closed.last_writer == "alice"
    assert closed.written_at == "2026-11-26T05:00:00+00:00"
    # Snoozed without any detail: snoozed until the customer writes.
    assert resolve([msg(1, 3, STATE, "$si-status-snoozed")], AGENTS).state == TeamState("snoozed")


def test_plan_store_writes_exactly_the_state_and_leaves_other_keywords() -> None:
    messages = [
        msg(1, 10, "\\Seen", STATE, "$si-status-open", "$si-holder-3", SENDING, "$Label1"),
        msg(2, 12, "$si-at-20261126T045912Z", "$si-by-carol", "$si-seen-carol", "$si-claim-carol"),
    ]
    state = TeamState("closed", None, "alice")
    plans = plan_store(messages, state, SLOT_OF)
    by_uid = {uid: plan for plan in plans for uid in plan.uids}
    written = {STATE, "$si-status-closed", "$si-holder-1"}
    assert set(by_uid[1].add) == written - {STATE}
    assert set(by_uid[1].remove) == {"$si-status-open", "$si-holder-3"}
    assert set(by_uid[2].add) == written and by_uid[2].modseq == 12
    # Every legacy keyword goes; the send step's marker stays.
    assert set(by_uid[2].remove) == {
        "$si-at-20261126T045912Z",
        "$si-by-carol",
        "$si-seen-carol",
        "$si-claim-carol",
    }
    after = [
        msg(1, 13, "\\Seen", SENDING, "$Label1", *written),
        msg(2, 14, *written),
    ]
    assert plan_store(after, state, SLOT_OF) == []
    result = resolve(after, AGENTS)
    assert result.state == state and not result.divergent


def test_the_sending_marker_is_one_fixed_atom_left_alone_by_state_writes() -> None:
    assert SENDING == "$si-sending" and is_atom(SENDING)
    marked = [msg(1, 5, STATE, "$si-status-open", SENDING, PROBE)]
    (plan,) = plan_store(marked, TeamState("closed"), SLOT_OF)
    assert SENDING not in plan.add + plan.remove and PROBE not in plan.add + plan.remove
    assert resolve(marked, AGENTS).state == resolve([msg(1, 5, STATE, "$si-status-open")], AGENTS).state


@given(st.integers(min_value=0, max_value=2**32))
def test_any_history_of_writes_uses_only_the_fixed_keywords(seed: int) -> None:
    """Random writes by random agents on a random conversation never leave the fixed set."""
    rng = random.Random(seed)
    messages = [
        msg(uid, uid, *rng.sample(["\\Seen", "$Label1", SENDING], rng.randint(0, 2))) for uid in range(1, 4)
    ]
    modseq = 10
    for _ in range(20):
        status = rng.choice([None, "open", "pending", "snoozed", "closed"])
        holder = rng.choice([None, *SLOT_OF])
        state = TeamState(status, "2026-12-01T09:00:00+00:00" if status == "snoozed" else None, holder)
        touched = rng.sample(messages, rng.randint(1, len(messages)))  # some STOREs may not land
        for plan in plan_store(touched, state, SLOT_OF):
            for index, message in enumerate(messages):
                if message.uid in plan.uids:
                    modseq += 1
                    flags = (set(message.flags) - set(plan.remove)) | set(plan.add)
                    messages[index] = msg(message.uid, modseq, *sorted(flags))
    team = {f.lower() for m in messages for f in m.flags if f.startswith("$si-")}
    assert team <= {k.lower() for k in ALL_KEYWORDS}
    # Writing the resolved state everywhere (what a sync's settle does) converges.
    resolved = resolve(messages, AGENTS).state
    for plan in plan_store(messages, resolved, SLOT_OF):
        for index, message in enumerate(messages):
            if message.uid in plan.uids:
                flags = (set(message.flags) - set(plan.remove)) | set(plan.add)
                messages[index] = msg(message.uid, modseq + 1, *sorted(flags))
    assert plan_store(messages, resolved, SLOT_OF) == []
    assert not resolve(messages, AGENTS).divergent


def test_legacy_keywords_are_read_as_that_scheme_decided() -> None:
    messages = [
        msg(1, 10, "$si-status-pending", "$si-by-bob", "$si-at-20261120T100000Z", "$si-claim-carol"),
        msg(
            2,
            14,
            "$si-status-snoozed",
            "$si-snooze-20261201T0900Z",
            "$si-by-_41lice",
            "$si-seen-_41lice",
            "$si-at-20261126T045912Z",
            "$si-claim-carol",
            "$si-claim-_42ob",
        ),
        msg(3, 15, "\\Seen"),
    ]
    old = legacy.read(messages)
    assert old.state == TeamState("snoozed", "2026-12-01T09:00:00+00:00", "Bob")
    assert old.writer == "Alice" and old.written_at == "2026-11-26T04:59:12+00:00"
    assert legacy.encode_agent("علی") == "_d8_b9_d9_84_db_8c"
    assert legacy.decode_agent("_d8_b9_d9_84_db_8c") == "علی"
    # Hostile or malformed legacy keywords are ignored.
    hostile = legacy.read([msg(1, 2, "$si-claim-a_0ab", "$si-claim-_ff", "$si-status-x", "$si-by-")])
    assert hostile.state == TeamState() and hostile.writer is None
