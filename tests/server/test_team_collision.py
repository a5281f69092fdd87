"""Right before SMTP, a reply is held when a teammate claimed, closed or answered the conversation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.app import team_actions
from supportinbox.store import outbox as store
from supportinbox.store.conversations import set_status
from supportinbox.team.collision import send_anyway_checks
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import Teammate, make_team

pytestmark = [pytest.mark.server, pytest.mark.both_servers]

MID = "<down@customer.test>"


def _team(tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer) -> tuple[Teammate, Teammate, str]:
    append(dovecot, [make_message(message_id=MID, subject="Site is down")])
    alice, bob = make_team(tmp_path, dovecot, smtp, ("alice", "bob"))
    return alice, bob, alice.conversation_of(MID)


def _in_sent(dovecot: Dovecot) -> int:
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        return len(imap.search(["ALL"]))


def test_reply_to_a_claimed_conversation_is_held_then_forced(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    outbox_id = bob.draft_reply(cid)  # bob starts writing...
    team_actions.claim(alice.ctx(), cid)  # ...alice claims meanwhile

    report = bob.send(outbox_id)
    (outcome,) = report.outcomes
    assert outcome.status == "held"
    assert "alice claimed conversation" in outcome.message
    assert smtp_server.received == [] and _in_sent(dovecot) == 0
    row = store.get(bob.db.conn, outbox_id)
    assert row is not None and row.status == "held" and row.held_by == "alice"
    assert "alice claimed" in (row.last_error or "")

    forced = bob.cli(capsys, "team", "send-anyway", str(outbox_id))
    assert forced.code == 0, forced.err
    assert "sent" in forced.out
    assert len(smtp_server.received) == 1 and _in_sent(dovecot) == 1
    # Alice, who holds it, learns at her next sync that bob answered.
    told = [event.text for event in alice.sync().events]
    assert any(
        "bob added a note: Replied although alice holds this conversation (sent anyway by bob)." in t
        for t in told
    ), told


def test_reply_after_a_teammate_replied_is_held(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    sent = alice.send(alice.draft_reply(cid))
    assert [o.status for o in sent.outcomes] == ["sent"]
    assert len(smtp_server.received) == 1

    report = bob.send(bob.draft_reply(cid))  # bob has not synced since
    (outcome,) = report.outcomes
    assert outcome.status == "held" and "alice already replied" in outcome.message
    # When, as every recent moment is said: seconds ago (a slow run: the minute, in the local clock).
    assert re.search(r" (just now|today \d\d:\d\d) \(found in Sent\)", outcome.message), outcome.message
    assert len(smtp_server.received) == 1

    # Once bob has seen alice's reply, he may add his own on purpose.
    bob.sync()
    again = bob.send(bob.draft_reply(cid))
    assert [o.status for o in again.outcomes] == ["sent"], again.outcomes
    assert len(smtp_server.received) == 2


@pytest.mark.parametrize("first", ["bob", "alice"])
def test_a_teammates_reply_synced_during_the_undo_window_holds_ours(
    first: str, tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    """Bob's reply reaches Sent around the moment alice queues hers (just before, or in its
    undo window), and her app syncs it before hers leaves: she was never asked about a
    second reply, so hers is held, naming bob, whatever the seconds of the two times."""
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    if first == "bob":
        assert [o.status for o in bob.send(bob.draft_reply(cid)).outcomes] == ["sent"]
        outbox_id = alice.draft_reply(cid)  # her cache has not seen bob's reply yet
    else:
        outbox_id = alice.draft_reply(cid)
        assert [o.status for o in bob.send(bob.draft_reply(cid)).outcomes] == ["sent"]
    alice.sync()  # the open app's sync (push) during the countdown

    (outcome,) = alice.send(outbox_id).outcomes
    assert outcome.status == "held", outcome
    assert "bob already replied" in outcome.message, outcome.message
    assert len(smtp_server.received) == 1 and _in_sent(dovecot) == 1


def test_reply_to_a_conversation_a_teammate_closed_is_held(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    set_status(alice.db, cid, "closed", agent="alice")
    team_actions.push_state(alice.ctx(), cid)
    report = bob.send(bob.draft_reply(cid))
    (outcome,) = report.outcomes
    assert outcome.status == "held" and "alice closed conversation" in outcome.message
    assert smtp_server.received == []
    forced = bob.send(outcome.outbox_id, checks=send_anyway_checks())
    assert [o.status for o in forced.outcomes] == ["sent"]
    assert len(smtp_server.received) == 1


def test_a_held_reply_never_dates_a_claim_by_the_status_time(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    """The server keeps when a status was set, not when a claim was made: 'alice claimed it at
    10:00' (the time bob set it open, long before) would be false."""
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    earlier = datetime.now(UTC) - timedelta(hours=3)
    set_status(bob.db, cid, "open", agent="bob", now=earlier)
    team_actions.push_state(bob.ctx(), cid)
    alice.sync()
    team_actions.claim(alice.ctx(), cid)

    (outcome,) = bob.send(bob.draft_reply(cid)).outcomes
    assert outcome.status == "held"
    assert outcome.message == f"alice claimed conversation {cid}", outcome.message


def test_own_claim_does_not_hold_the_reply(tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer) -> None:
    _alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    team_actions.claim(bob.ctx(), cid)
    report = bob.send(bob.draft_reply(cid))
    assert [o.status for o in report.outcomes] == ["sent"], report.outcomes
    assert len(smtp_server.received) == 1


def test_a_reply_whose_conversation_id_changed_is_still_checked(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    """The reply was queued under an id the cache no longer has (re-threaded since): the
    message it answers says where the conversation is now, and a teammate's claim there holds it."""
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    outbox_id = bob.draft_reply(cid)
    team_actions.claim(alice.ctx(), cid)
    with bob.db.transaction() as tx:
        tx.execute("UPDATE outbox SET conversation_id = 'gone0000' WHERE id = ?", (outbox_id,))

    (outcome,) = bob.send(outbox_id).outcomes
    assert outcome.status == "held" and f"alice claimed conversation {cid}" in outcome.message
    assert smtp_server.received == []


def test_a_reply_whose_conversation_is_gone_is_held_not_sent_unchecked(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    _alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    outbox_id = bob.draft_reply(cid)
    with client(dovecot) as imap:  # a teammate deletes the customer's mail
        imap.select_folder("INBOX")
        imap.delete_messages(imap.search(["HEADER", "Message-ID", MID]))
        imap.expunge()
    bob.sync()

    (outcome,) = bob.send(outbox_id).outcomes
    assert outcome.status == "held", outcome
    assert f"conversation {cid} is no longer in the mailbox" in outcome.message
    assert smtp_server.received == [] and _in_sent(dovecot) == 0
    row = store.get(bob.db.conn, outbox_id)
    assert row is not None and row.status == "held" and row.held_by == "mail gone"


def test_a_teammates_reply_is_news_in_words_at_the_next_sync(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    """Bob writes to the customer while alice answers them: his sync says she replied (what
    the app tells someone writing to that customer), not only the status her reply set."""
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    bob.draft_reply(cid)  # bob starts writing...
    assert [o.status for o in alice.send(alice.draft_reply(cid)).outcomes] == ["sent"]
    hook = bob.sync()
    replies = [(e.conversation_id, e.agent, e.text) for e in hook.events if e.kind == "reply"]
    assert replies == [(cid, "alice", f"{cid} (Lina Haddad: Site is down): alice replied to the customer")]
    alice_hook = alice.sync()  # her own reply is no news to her
    assert [e for e in alice_hook.events if e.kind == "reply"] == []
    assert [e for e in bob.sync().events if e.kind == "reply"] == []  # said once


# Cyrus turns 8-bit bytes in a header into "X" on APPEND: the id arrives as plain ASCII there.
@pytest.mark.dovecot_only
def test_a_message_id_outside_ascii_does_not_stop_the_outbox(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    """A customer's Message-ID with a bidi override in it ("<bidi\\u202e@...>", as hostile or
    broken mailers send) made the check for a teammate's reply search Sent with it: imapclient
    refused to encode it, every send and every sync after ended in an internal error."""
    hostile = "<bidi\u202e@hostile.test>"
    raw = make_message(message_id="<placeholder@customer.test>", subject="Invoice")
    append(dovecot, [raw.replace(b"<placeholder@customer.test>", hostile.encode())])
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    cid = alice.conversation_of(hostile)
    report = alice.send(alice.draft_reply(cid))
    assert [o.status for o in report.outcomes] == ["sent"], report.outcomes
    assert len(smtp_server.received) == 1 and _in_sent(dovecot) == 1
    # Bob, who has not seen it, is still held back: alice's reply set \\Answered.
    (outcome,) = bob.send(bob.draft_reply(bob.conversation_of(hostile))).outcomes
    assert outcome.status == "held" and "answered meanwhile" in outcome.message, outcome.message
    assert len(smtp_server.received) == 1
