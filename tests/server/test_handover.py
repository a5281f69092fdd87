"""Hand-overs between teammates on a real Dovecot: recorded as notes, counted on every client."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportinbox.store.conversations import get_conversation
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.team import make_team

pytestmark = [pytest.mark.server]

MID = "<handover@customer.test>"


def _reasons(capsys: pytest.CaptureFixture[str], mate: object, cid: str) -> list[str]:
    shown = mate.cli(capsys, "show", cid, "--json")  # type: ignore[attr-defined]
    assert shown.code == 0, shown.err
    return list(json.loads(shown.out)["reasons"])


@pytest.mark.parametrize("mode", ["keywords", "folder"])
def test_every_hand_over_is_noted_and_counted_by_every_teammate(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Invoice in the wrong currency")])
    extra = 'team_state = "folder"' if mode == "folder" else ""
    alice, bob, carol = make_team(tmp_path, dovecot, None, extra=extra)
    cid = alice.conversation_of(MID)

    first = alice.cli(capsys, "assign", cid, "bob", "--note", "billing knows the currency rules")
    assert first.code == 0, first.err
    assert "handed over once" in _reasons(capsys, alice, cid)
    bob.sync()
    assert bob.queue_row(cid)[0] == "bob"
    assert "handed over once" in _reasons(capsys, bob, cid)
    (noted,) = [n.body for n in get_conversation(bob.db, cid).notes]
    assert noted == "Handed over to bob by alice: billing knows the currency rules"

    second = bob.cli(capsys, "assign", cid, "carol")
    assert second.code == 0, second.err
    # Assigning it to whom already has it is no hand-over.
    again = bob.cli(capsys, "assign", cid, "carol")
    assert again.code == 0, again.err
    carol.sync()
    alice.sync()
    for mate in (alice, bob, carol):
        reasons = _reasons(capsys, mate, cid)
        assert "handed over 2×" in reasons, (mate.agent, reasons)
    assert carol.queue_row(cid)[0] == "carol"


@pytest.mark.parametrize("mode", ["keywords", "folder"])
def test_the_new_holder_hears_of_a_hand_over_at_their_next_sync(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Export to Excel fails")])
    extra = 'team_state = "folder"' if mode == "folder" else ""
    alice, bob = make_team(tmp_path, dovecot, None, agents=("alice", "bob"), extra=extra)
    cid = alice.conversation_of(MID)
    assert alice.cli(capsys, "claim", cid).code == 0
    assert "alice holds it now" in bob.cli(capsys, "sync").out

    assert alice.cli(capsys, "assign", cid, "bob", "--note", "you know the export code").code == 0
    synced = bob.cli(capsys, "sync")
    assert synced.code == 0, synced.err
    # Keywords do not say who wrote them (the state folder does): who held it before is named.
    said = "alice assigned it to you" if mode == "folder" else "it is yours now (alice held it before)"
    told = [line for line in synced.out.splitlines() if line.endswith(said)]
    assert told and told[0].startswith(f"team: {cid} (Lina Haddad: Export to Excel fails): "), synced.out
    assert bob.queue_row(cid)[0] == "bob"


@pytest.mark.parametrize("mode", ["keywords", "folder"])
def test_a_hand_over_of_a_conversation_nobody_held_names_who_handed_it(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Export to Excel fails")])
    extra = 'team_state = "folder"' if mode == "folder" else ""
    alice, bob = make_team(tmp_path, dovecot, None, agents=("alice", "bob"), extra=extra)
    cid = alice.conversation_of(MID)
    assert alice.cli(capsys, "assign", cid, "bob", "--note", "you know the export code").code == 0
    synced = bob.cli(capsys, "sync")
    assert synced.code == 0, synced.err
    # Keywords do not say who wrote them: the hand-over note that came with them does.
    assert f"team: {cid} (Lina Haddad: Export to Excel fails): alice assigned it to you" in synced.out
    assert "a teammate" not in synced.out, synced.out


def test_taking_a_conversation_for_oneself_is_a_claim_or_a_take_over(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    """``assign ID ME`` on a conversation nobody holds is a claim: no hand-over is counted
    (it read "Handed over to bob by bob", "handed over once"). Taken from a teammate, it is
    one change of hands, noted with whom it came from."""
    append(dovecot, [make_message(message_id=MID, subject="Invoice in the wrong currency")])
    alice, bob, _carol = make_team(tmp_path, dovecot, None)
    cid = alice.conversation_of(MID)

    mine = bob.cli(capsys, "assign", cid, "bob")
    assert mine.code == 0, mine.err
    assert bob.queue_row(cid)[0] == "bob"
    assert not any("handed over" in r for r in _reasons(capsys, bob, cid))
    assert get_conversation(bob.db, cid).notes == []

    alice.sync()
    given = alice.cli(capsys, "assign", cid, "alice", "--note", "I know this customer")
    assert given.code == 0, given.err
    bob.sync()
    assert bob.queue_row(cid)[0] == "alice"
    assert [n.body for n in get_conversation(bob.db, cid).notes] == [
        "Handed over to alice from bob: I know this customer"
    ]
    assert "handed over once" in _reasons(capsys, bob, cid)


@pytest.mark.parametrize("mode", ["keywords", "folder"])
def test_a_hand_over_keeps_open_what_the_customer_reopened(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    """A close followed by the customer's new message is open; handing it over (or claiming
    it) dated the close anew, and the copy that did it showed it closed again."""
    append(dovecot, [make_message(message_id=MID, subject="Two-factor code refused")])
    extra = 'team_state = "folder"' if mode == "folder" else ""
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"), extra=extra)
    cid = bob.conversation_of(MID)
    assert bob.cli(capsys, "claim", cid).code == 0
    assert bob.cli(capsys, "status", cid, "closed").code == 0
    again = make_message(
        message_id="<again@customer.test>",
        subject="Re: Two-factor code refused",
        in_reply_to=MID,
        references=MID,
        body="The reset did not work either.",
        date=datetime.now(UTC),  # after the close (the same second counts as after)
    )
    append(dovecot, [again])
    bob.sync()
    alice.sync()
    assert bob.queue_row(cid) == ("bob", "open") and alice.queue_row(cid) == ("bob", "open")

    handed = bob.cli(capsys, "assign", cid, "alice", "--note", "ID check is with you")
    assert handed.code == 0, handed.err
    assert bob.queue_row(cid) == ("alice", "open")
    alice.sync()
    bob.sync()
    assert alice.queue_row(cid) == ("alice", "open") and bob.queue_row(cid) == ("alice", "open")
    assert alice.cli(capsys, "release", cid).code == 0
    bob.sync()
    assert alice.queue_row(cid) == (None, "open") and bob.queue_row(cid) == (None, "open")


def test_a_teammate_named_in_other_capitals_is_that_teammate(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    """Handed to "Alice", the conversation went to an agent nobody is: alice's own app showed
    the owner "Alice", not her, and held her replies for that stranger."""
    append(dovecot, [make_message(message_id=MID, subject="Contract renewal and SSO question")])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = bob.conversation_of(MID)

    handed = bob.cli(capsys, "assign", cid, "Alice", "--note", "she knows the Enterprise plan")
    assert handed.code == 0, handed.err
    assert "assigned to alice" in handed.out, handed.out
    assert bob.queue_row(cid)[0] == "alice"
    alice.sync()
    assert alice.queue_row(cid)[0] == "alice"
    (noted,) = [n.body for n in get_conversation(alice.db, cid).notes]
    assert noted == "Handed over to alice by bob: she knows the Enterprise plan"
