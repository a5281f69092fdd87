"""The note a reply sent anyway leaves names who holds the conversation when it went out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportinbox.app import team_actions
from supportinbox.mail.outbox import Outcome
from supportinbox.store.conversations import get_conversation
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import Teammate, make_team

pytestmark = [pytest.mark.server]

MID = "<csv@customer.test>"


def _held_for_alices_claim(
    base: Path, dovecot: Dovecot, smtp: SmtpServer
) -> tuple[Teammate, Teammate, str, Outcome]:
    """Alice claims the customer's conversation; bob's reply to it is held in his outbox."""
    append(dovecot, [make_message(message_id=MID, subject="Export invoices as CSV?")])
    alice, bob = make_team(base, dovecot, smtp, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    team_actions.claim(alice.ctx(), cid)
    bob.sync()
    (held,) = bob.send(bob.draft_reply(cid)).outcomes
    return alice, bob, cid, held


def test_a_reply_held_for_a_claim_handed_over_to_the_writer_names_no_holder(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid, held = _held_for_alices_claim(tmp_path, dovecot, smtp_server)
    assert held.status == "held" and f"alice claimed conversation {cid}" in held.message

    # Alice hands it to bob after all; bob then sends the held reply anyway.
    assert team_actions.assign(alice.ctx(), cid, "bob", note="yours after all").online
    bob.sync()
    sent = bob.cli(capsys, "outbox", "send-anyway", str(held.outbox_id))
    assert sent.code == 0, sent.err
    assert len(smtp_server.received) == 1
    alice.sync()
    notes = [n.body for n in get_conversation(alice.db, cid).notes]
    assert notes == ["Handed over to bob by alice: yours after all"]  # no "although alice holds"


def test_a_reply_sent_anyway_names_the_teammate_who_holds_it_now(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Export invoices as CSV?")])
    alice, bob, carol = make_team(tmp_path, dovecot, smtp_server)
    cid = alice.conversation_of(MID)
    team_actions.claim(alice.ctx(), cid)
    bob.sync()
    (held,) = bob.send(bob.draft_reply(cid)).outcomes
    assert held.status == "held"
    assert team_actions.assign(alice.ctx(), cid, "carol").online  # handed on to carol meanwhile
    bob.sync()
    assert bob.cli(capsys, "outbox", "send-anyway", str(held.outbox_id)).code == 0
    carol.sync()
    notes = [n.body for n in get_conversation(carol.db, cid).notes]
    assert "Replied although carol holds this conversation (sent anyway by bob)." in notes


def test_the_outbox_list_says_when_a_held_reply_is_ours_now_and_retry_sends_it(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid, held = _held_for_alices_claim(tmp_path, dovecot, smtp_server)
    listed = bob.cli(capsys, "outbox")
    assert "yours now" not in listed.out
    assert team_actions.assign(alice.ctx(), cid, "bob").online
    bob.sync()
    listed = bob.cli(capsys, "outbox")
    hint = f"the conversation is yours now: 'supportinbox outbox retry {held.outbox_id}' sends it"
    assert hint in listed.out, listed.out
    retried = bob.cli(capsys, "outbox", "retry", str(held.outbox_id))
    assert retried.code == 0, retried.err
    assert len(smtp_server.received) == 1
    alice.sync()
    assert [n.body for n in get_conversation(alice.db, cid).notes] == ["Handed over to bob by alice"]


@pytest.mark.parametrize("bob_synced", [True, False])
def test_a_reply_sent_anyway_after_the_claim_was_released_says_nobody_holds_it(
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    bob_synced: bool,
) -> None:
    alice, bob, cid, held = _held_for_alices_claim(tmp_path, dovecot, smtp_server)
    assert team_actions.release(alice.ctx(), cid).online
    if bob_synced:
        bob.sync()  # else bob's cache still has alice's claim: the server is asked
    sent = bob.cli(capsys, "outbox", "send-anyway", str(held.outbox_id))
    assert sent.code == 0, sent.err
    assert len(smtp_server.received) == 1
    alice.sync()
    notes = [n.body for n in get_conversation(alice.db, cid).notes]
    assert notes == ["Sent anyway by bob: the reply had been held for alice."]
    assert bob.queue_row(cid)[0] is None


def test_a_reply_sent_anyway_that_the_mail_server_refused_leaves_the_note_when_it_goes(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sent anyway, refused by SMTP for a while, sent by the plain retry after: alice, who
    holds the conversation, still learns that bob answered it."""
    alice, bob, cid, held = _held_for_alices_claim(tmp_path, dovecot, smtp_server)
    smtp_server.set_refusing(True)
    refused = bob.cli(capsys, "outbox", "send-anyway", str(held.outbox_id))
    assert refused.code == 9 and "still without the teammate check" in refused.err, refused.err
    smtp_server.set_refusing(False)
    listed = bob.cli(capsys, "outbox").out.splitlines()
    assert "      sent anyway (it had been held for alice): it leaves without the teammate check" in listed
    (row,) = json.loads(bob.cli(capsys, "outbox", "list", "--json").out)
    assert (row["send_anyway"], row["held_by"]) == (True, "alice"), row

    retried = bob.cli(capsys, "outbox", "retry")
    assert retried.code == 0, retried.err
    assert len(smtp_server.received) == 1
    alice.sync()
    notes = [n.body for n in get_conversation(alice.db, cid).notes]
    assert "Replied although alice holds this conversation (sent anyway by bob)." in notes, notes
