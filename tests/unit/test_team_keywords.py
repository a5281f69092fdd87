"""The $si- keyword scheme: atoms, exact round trips, hostile names, deterministic merging."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportinbox.team.keywords import (
    MAX_KEYWORD_LENGTH,
    SENDING,
    KeywordError,
    MessageFlags,
    TeamState,
    claim_keyword,
    decode_agent,
    encode_agent,
    is_atom,
    parse_keyword,
    plan_store,
    resolve,
    seen_keyword,
    snooze_keyword,
    status_keyword,
    target_keywords,
)

agent_names = st.text(
    alphabet=st.characters(codec="utf-8", categories=("Lu", "Ll", "Lo", "Nd"), include_characters="-_."),
    min_size=1,
    max_size=12,
)


@given(agent_names)
def test_agent_round_trip_and_atom(name: str) -> None:
    encoded = encode_agent(name)
    assert decode_agent(encoded) == name
    keyword = f"$si-claim-{encoded}"
    assert is_atom(keyword)
    # A server that upper- or lower-cases keywords does not lose the name.
    assert decode_agent(encoded.upper()) == name


@given(st.text(min_size=1, max_size=12))
def test_any_text_encodes_to_an_atom(name: str) -> None:
    encoded = encode_agent(name)
    assert is_atom(f"$si-claim-{encoded}")
    assert decode_agent(encoded) in (name, None)


@pytest.mark.parametrize(
    "name",
    [
        "o'brien",
        "a b",
        "x)y",
        "{1}",
        "100%",
        "*",
        'q"uote',
        "back\\slash",
        "]",
        "evil\u202etxt.exe",
        "\x1b[31m",
    ],
)
def test_hostile_names_become_atoms_and_are_never_read_back(name: str) -> None:
    keyword = f"$si-claim-{encode_agent(name)}"
    assert is_atom(keyword)
    # The config refuses such names, so a keyword carrying one came from elsewhere: ignored.
    assert parse_keyword(keyword) is None


@pytest.mark.parametrize("name", ["alice", "Bob", "ali_ce", "bob.smith", "علی", "Zoë-2"])
def test_agent_names_round_trip_through_keywords(name: str) -> None:
    keyword = claim_keyword(name)
    assert is_atom(keyword) and len(keyword) <= MAX_KEYWORD_LENGTH
    parsed = parse_keyword(keyword)
    assert parsed is not None and parsed.kind == "claim" and parsed.value == name


def test_examples_read_naturally() -> None:
    assert claim_keyword("alice") == "$si-claim-alice"
    assert seen_keyword("bob.smith") == "$si-seen-bob.smith"
    assert claim_keyword("Alice") == "$si-claim-_41lice"
    assert claim_keyword("علی") == "$si-claim-_d8_b9_d9_84_db_8c"
    assert status_keyword("closed") == "$si-status-closed"
    assert snooze_keyword("2026-12-01T09:00:59+00:00") == "$si-snooze-20261201T0900Z"
    assert snooze_keyword("2026-12-01T10:00:00+01:00") == "$si-snooze-20261201T0900Z"


def test_distinct_names_never_share_a_keyword_even_case_folded() -> None:
    names = ["alice", "Alice", "ALICE", "ali_ce", "ali_5fce", "alice."]
    keywords = {claim_keyword(n).lower() for n in names}
    assert len(keywords) == len(names)


def test_too_long_and_bad_values_are_refused() -> None:
    with pytest.raises(KeywordError, match="too long"):
        claim_keyword("x" * 60)
    with pytest.raises(KeywordError):
        status_keyword("deleted")
    with pytest.raises(KeywordError):
        encode_agent("")


@pytest.mark.parametrize(
    "flag",
    [
        "\\Seen",
        "$Junk",
        "$si-",
        "$si-claim-",
        "$si-claim-_zz",
        "$si-claim-_ff",  # not UTF-8
        "$si-claim-a_0ab",  # decodes to a newline
        "$si-status-deleted",
        "$si-snooze-2026",
        "$si-snooze-20261341T0900Z",
        "$si-unknown-x",
        b"$si-claim-\xff",
    ],
)
def test_foreign_and_malformed_flags_are_ignored(flag: str | bytes) -> None:
    assert parse_keyword(flag) is None


def test_parse_is_case_insensitive() -> None:
    assert parse_keyword("$SI-STATUS-CLOSED") == parse_keyword("$si-status-closed")
    snooze = parse_keyword("$si-snooze-20261201t0900z")
    assert snooze is not None and snooze.value == "2026-12-01T09:00:00+00:00"


def msg(uid: int, modseq: int, *flags: str) -> MessageFlags:
    return MessageFlags(uid, modseq, tuple(flags))


def test_untouched_conversation_has_no_state() -> None:
    result = resolve([msg(1, 5, "\\Seen"), msg(2, 6)])
    assert result.state == TeamState()
    assert result.claimants == () and not result.divergent


def test_last_writer_by_modseq_wins_the_status() -> None:
    result = resolve(
        [
            msg(1, 9, "$si-status-closed", "$si-by-bob"),
            msg(2, 7, "$si-status-pending", "$si-by-alice"),
        ]
    )
    assert result.state.status == "closed" and result.last_writer == "bob"
    assert result.modseq == 9 and result.divergent


def test_modseq_tie_is_broken_by_uid_then_fixed_precedence() -> None:
    tie = resolve([msg(4, 9, "$si-status-pending"), msg(3, 9, "$si-status-closed")])
    assert tie.state.status == "pending"
    both = resolve([msg(1, 9, "$si-status-open", "$si-status-closed")])
    assert both.state.status == "closed"


def test_snooze_only_counts_while_snoozed() -> None:
    snoozed = resolve([msg(1, 2, "$si-status-snoozed", "$si-snooze-20261201T0900Z")])
    assert snoozed.state == TeamState("snoozed", "2026-12-01T09:00:00+00:00")
    stale = resolve([msg(1, 2, "$si-status-open", "$si-snooze-20261201T0900Z")])
    assert stale.state == TeamState("open")


def test_coexisting_claims_resolve_to_one_winner_in_any_order() -> None:
    messages = [
        msg(1, 10, "$si-status-open", "$si-claim-carol"),
        msg(2, 11, "$si-status-open", "$si-claim-bob", "$si-claim-carol"),
        msg(3, 12, "$si-claim-_42ob"),
    ]
    orders = (messages, messages[::-1], messages[1:] + messages[:1])
    winners = {resolve(order).state.assigned_to for order in orders}
    assert winners == {"Bob"}
    result = resolve(messages)
    assert result.claimants == ("Bob", "bob", "carol")
    assert result.losers == ("bob", "carol")


def test_plan_store_adds_and_removes_exactly() -> None:
    at = "2026-11-26T05:00:00+00:00"
    messages = [
        msg(1, 10, "\\Seen", "$si-status-open", "$si-claim-carol", "$si-seen-carol", "$si-by-carol"),
        msg(2, 12, "$Label1"),
    ]
    plans = plan_store(messages, TeamState("closed", None, "alice"), "alice", at)
    by_uid = {uid: plan for plan in plans for uid in plan.uids}
    written = {
        "$si-status-closed",
        "$si-claim-alice",
        "$si-by-alice",
        "$si-seen-alice",
        "$si-at-20261126T050000Z",
    }
    assert set(by_uid[1].add) == written
    assert set(by_uid[1].remove) == {"$si-status-open", "$si-claim-carol", "$si-by-carol"}
    assert set(by_uid[2].add) == written
    assert by_uid[2].remove == () and by_uid[2].modseq == 12
    after = [
        msg(1, 13, "\\Seen", "$si-seen-carol", *by_uid[1].add),
        msg(2, 14, "$Label1", *by_uid[2].add),
    ]
    assert plan_store(after, TeamState("closed", None, "alice"), "alice", at) == []
    result = resolve(after)
    assert result.state == TeamState("closed", None, "alice")
    assert result.seen_by == {"alice", "carol"} and result.last_writer == "alice"
    assert result.written_at == at and not result.divergent


def test_claim_without_status_is_no_manual_status() -> None:
    state = TeamState(None, None, "alice")
    messages = [msg(1, 3, *target_keywords(state, "alice", "2026-11-26T05:00:00+00:00"))]
    assert resolve(messages).state == state
    # A keyword that is not from a writer (no $si-by) does not make a message authoritative.
    mixed = [*messages, msg(2, 9, "$si-claim-alice")]
    assert resolve(mixed).modseq == 3


def test_the_sending_marker_is_one_fixed_atom_left_alone_by_state_writes() -> None:
    assert SENDING == "$si-sending" and is_atom(SENDING)
    assert parse_keyword(SENDING) is None
    state = TeamState("closed", None, "alice")
    marked = [msg(1, 5, "$si-status-open", "$si-by-bob", SENDING)]
    (plan,) = plan_store(marked, state, "alice", "2026-11-26T05:00:00+00:00")
    assert SENDING not in plan.add and SENDING not in plan.remove
    assert "$si-status-open" in plan.remove
    # It takes no part in deciding the state.
    assert resolve(marked).state == resolve([msg(1, 5, "$si-status-open", "$si-by-bob")]).state
