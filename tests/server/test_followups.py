"""Follow-ups between teammates on a real Dovecot: through the state folder, offline, cleared."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supportinbox.app.followups import set_followup
from supportinbox.store import conversations as cv
from supportinbox.store.followups import list_active
from supportinbox.team.statefolder import STATE_FOLDER
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import Teammate, make_team

pytestmark = [pytest.mark.server]

MID = "<invoice@customer.test>"
OURS = "<answer@acme.test>"


def _pending_conversation(dovecot: Dovecot) -> None:
    """Lina asked two hours ago; we answered an hour ago (the conversation is pending)."""
    now = datetime.now(UTC)
    append(dovecot, [make_message(message_id=MID, subject="Invoice missing", date=now - timedelta(hours=2))])
    ours = make_message(
        sender="Acme Support <support@acme.test>",
        to="lina@customer.test",
        subject="Re: Invoice missing",
        message_id=OURS,
        in_reply_to=MID,
        references=MID,
        date=now - timedelta(hours=1),
    )
    append(dovecot, [ours], folder="Sent", flags=("\\Seen",))


def _followups_on_server(dovecot: Dovecot) -> list[dict[str, object]]:
    with client(dovecot) as imap:
        if not imap.folder_exists(STATE_FOLDER):
            return []
        imap.select_folder(STATE_FOLDER, readonly=True)
        uids = imap.search(["HEADER", "Subject", "supportinbox state"])
        bodies = imap.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
    found = []
    for uid in sorted(bodies):
        msg = message_from_bytes(bytes(bodies[uid][b"BODY[]"]), policy=policy.default)
        data = json.loads(msg.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        if data.get("kind") == "followup":
            found.append(data)
    return found


@pytest.mark.parametrize("mode", ["keywords", "folder"])
def test_a_follow_up_reaches_every_teammate_and_comes_due_there(
    tmp_path: Path,
    dovecot: Dovecot,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
) -> None:
    _pending_conversation(dovecot)
    extra = 'team_state = "folder"' if mode == "folder" else ""
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"), extra=extra)
    cid = alice.conversation_of(MID)
    assert alice.queue_row(cid)[1] == "pending"

    done = alice.cli(capsys, "followup", cid, "--in", "3d", "--note", "promised an update on the refund")
    assert done.code == 0, done.err
    assert "shared with the team" in done.out
    (shared,) = _followups_on_server(dovecot)
    assert (shared["conversation"], shared["author"], shared["note"]) == (
        cid,
        "alice",
        "promised an update on the refund",
    )
    with client(dovecot) as imap:  # no keyword carries it
        imap.select_folder("INBOX", readonly=True)
        flags = {f.decode().lower() for fl in imap.get_flags(imap.search(["ALL"])).values() for f in fl}
    assert not any("follow" in f for f in flags)

    with monkeypatch.context() as tehran:  # bob's clock: said in his local time
        tehran.setenv("TZ", "Asia/Tehran")
        time.tzset()
        hook = bob.sync()
        told = [e.said() for e in hook.events if e.kind == "followup"]
    time.tzset()
    due = datetime.fromisoformat(str(shared["due"])).astimezone(ZoneInfo("Asia/Tehran"))
    # Three days ahead: said as every screen says a day further than tomorrow.
    day = f"{due:%a} {due.day} {due:%b} {due:%H:%M}"
    assert told == [f"{cid} (Lina Haddad: Invoice missing): alice set a follow-up for {day}"]
    listed = bob.cli(capsys, "followups", "--json")
    assert listed.code == 0, listed.err
    (row,) = json.loads(listed.out)
    assert (row["id"], row["due"], row["reason"]) == (
        cid,
        False,
        "follow-up due: promised an update on the refund",
    )
    later = datetime.now(UTC) + timedelta(days=3, minutes=5)
    (due,) = cv.list_queue(bob.db, now=later)
    assert (due.id, due.status, due.reasons[0]) == (
        cid,
        "open",
        "follow-up due: promised an update on the refund",
    )
    assert len(_followups_on_server(dovecot)) == 1  # bob's sync wrote nothing back


def test_moving_a_follow_up_keeps_what_was_promised(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    _pending_conversation(dovecot)
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    assert alice.cli(capsys, "followup", cid, "--in", "3d", "--note", "promised a refund date").code == 0
    bob.sync()
    assert bob.cli(capsys, "followup", cid, "--in", "5d").code == 0  # a teammate moves it
    alice.sync()
    (row,) = json.loads(alice.cli(capsys, "followups", "--json").out)
    assert row["reason"] == "follow-up due: promised a refund date"
    assert row["due_at"] > (datetime.now(UTC) + timedelta(days=4)).isoformat()
    table = alice.cli(capsys, "followups").out
    assert "Lina Haddad" in table and "Invoice missing" in table  # the person and what it is about
    assert alice.cli(capsys, "followup", cid, "--in", "2d", "--note", "").code == 0  # said: no promise
    (row,) = json.loads(alice.cli(capsys, "followups", "--json").out)
    assert row["reason"].startswith("follow-up due since ")


def test_a_follow_up_set_offline_is_shared_once_and_a_clear_travels_too(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    _pending_conversation(dovecot)
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    offline = alice.account.model_copy(update={"imap_port": 1})
    result = set_followup(alice.ctx(offline), cid, datetime.now(UTC) + timedelta(days=2), "call back")
    assert not result.online and "next sync" in result.message
    assert _followups_on_server(dovecot) == []
    assert [r.conversation_id for r in list_active(alice.db)] == [cid]  # works offline at once
    alice.sync()
    alice.sync()
    assert len(_followups_on_server(dovecot)) == 1
    bob.sync()
    assert [r.reason for r in list_active(bob.db)] == ["follow-up due: call back"]

    cleared = bob.cli(capsys, "followup", cid, "--clear")
    assert cleared.code == 0 and "cleared" in cleared.out
    assert list_active(bob.db) == []
    hook = alice.sync()
    assert [e.text for e in hook.events if e.kind == "followup"] == [
        f"{cid} (Lina Haddad: Invoice missing): bob cleared your follow-up"  # alice set it
    ]
    assert list_active(alice.db) == []


def test_the_newest_of_two_offline_follow_ups_wins_on_both(tmp_path: Path, dovecot: Dovecot) -> None:
    _pending_conversation(dovecot)
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    soon = datetime.now(UTC) + timedelta(days=1)
    for mate, note in ((alice, "from alice"), (bob, "from bob")):
        offline = mate.account.model_copy(update={"imap_port": 1})
        assert not set_followup(mate.ctx(offline), cid, soon, note).online
    alice.sync()  # alice's reaches the server first, bob's second: bob's is the newest
    bob.sync()
    alice.sync()
    for mate in (alice, bob):
        assert [r.reason for r in list_active(mate.db)] == ["follow-up due: from bob"], mate.agent


def test_a_customer_reply_clears_it_on_every_client(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    _pending_conversation(dovecot)
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    assert set_followup(alice.ctx(), cid, datetime.now(UTC) + timedelta(days=2)).online
    bob.sync()
    assert len(list_active(bob.db)) == 1
    reply = make_message(
        message_id="<again@customer.test>",
        subject="Re: Invoice missing",
        in_reply_to=OURS,
        references=f"{MID} {OURS}",
        date=datetime.now(UTC),
    )
    append(dovecot, [reply])
    for mate in (alice, bob):
        mate.sync()
        assert list_active(mate.db) == [], mate.agent
        assert mate.queue_row(cid)[1] == "open"
    assert smtp_server.received == []


def test_a_templates_follow_up_is_set_once_its_reply_is_sent_and_reaches_the_team(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Invoice missing")])
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    outbox_id = alice.draft_reply(cid)  # acknowledge-investigating: "followup: 1d"
    assert list_active(alice.db) == []  # queued is not sent: nothing promised yet
    report = alice.send(outbox_id)
    assert [o.status for o in report.outcomes] == ["sent"], report
    assert len(smtp_server.received) == 1
    (row,) = list_active(alice.db)
    assert row.conversation_id == cid and row.reason.startswith(
        "follow-up due: promised in alice's reply 'acknowledge-investigating' of "
    )
    due = datetime.fromisoformat(row.due_at)
    assert timedelta(hours=23) < due - datetime.now(UTC) <= timedelta(days=1)
    alice.sync()
    alice.sync()  # set once: a second sync changes nothing
    assert len(_followups_on_server(dovecot)) == 1
    bob.sync()
    # Bob reads who promised it: "your reply" would be a reply he never wrote.
    assert [r.reason for r in list_active(bob.db)] == [row.reason]
    assert "your" not in row.reason


def test_a_new_teammate_and_a_rebuilt_cache_have_the_follow_ups_after_one_sync(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    _pending_conversation(dovecot)
    (alice,) = make_team(tmp_path / "a", dovecot, None, ("alice",))
    cid = alice.conversation_of(MID)
    assert alice.cli(capsys, "followup", cid, "--in", "3d", "--note", "promised an update").code == 0

    def followups(mate: Teammate) -> list[str]:
        listed = mate.cli(capsys, "followups", "--json")
        assert listed.code == 0, listed.err
        return [row["id"] for row in json.loads(listed.out)]

    (carol,) = make_team(tmp_path / "c", dovecot, None, ("carol",))  # her first sync, nothing else
    assert followups(carol) == [cid]

    rebuilt = alice.cli(capsys, "cache", "rebuild", "--yes")
    assert rebuilt.code == 0, rebuilt.err
    assert alice.cli(capsys, "sync").code == 0  # one sync after the rebuild
    assert followups(alice) == [cid]


def test_whoever_set_a_follow_up_hears_at_once_when_a_teammate_clears_it(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    """Alice promised the customer a follow-up; bob cleared it. Alice does not hold the
    conversation, yet it was her promise: her sync tells her now, not only the team log."""
    _pending_conversation(dovecot)
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    assert set_followup(alice.ctx(), cid, datetime.now(UTC) + timedelta(days=2)).online
    bob.sync()
    assert set_followup(bob.ctx(), cid, None).online
    hook = alice.sync()
    assert [(e.agent, e.text.split("): ", 1)[1]) for e in hook.for_me(alice.db)] == [
        ("bob", "bob cleared your follow-up")
    ]
    # A follow-up bob set and later cleared himself is his own business.
    assert set_followup(bob.ctx(), cid, datetime.now(UTC) + timedelta(days=1)).online
    alice.sync()
    assert set_followup(bob.ctx(), cid, None).online
    assert [e for e in alice.sync().for_me(alice.db)] == []
