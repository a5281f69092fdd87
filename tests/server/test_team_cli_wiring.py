"""The command line carries team state: sync reports teammates' changes, replies respect
claims unless --force, status changes reach teammates at once, replies name their writer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from supportinbox.store import outbox as store
from supportinbox.team.statefolder import STATE_FOLDER, build_registry_message
from tests.conftest import account_toml, write_config
from tests.harness import cliproc
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import TEMPLATE, Teammate, make_team, state_entries

pytestmark = pytest.mark.server

MID = "<refund@customer.test>"


def _team(tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer | None) -> tuple[Teammate, Teammate, str]:
    append(dovecot, [make_message(message_id=MID, subject="Refund please")])
    alice, bob = make_team(tmp_path, dovecot, smtp, ("alice", "bob"))
    return alice, bob, alice.conversation_of(MID)


def _in_sent(dovecot: Dovecot) -> list[bytes]:
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        uids = imap.search(["ALL"])
        return [bytes(d[b"BODY[]"]) for d in imap.fetch(uids, ["BODY.PEEK[]"]).values()] if uids else []


def test_sync_output_reports_a_teammates_claim(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, None)
    claimed = bob.cli(capsys, "claim", cid)
    assert claimed.code == 0, claimed.err

    synced = alice.cli(capsys, "sync")
    assert synced.code == 0, synced.err
    team_lines = [line for line in synced.out.splitlines() if line.startswith("team: ")]
    assert any(cid in line and "bob" in line for line in team_lines), synced.out
    assert synced.out.splitlines()[0].startswith(("up to date", "synced"))


def test_reply_to_a_claimed_conversation_is_held_then_sent_with_force(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    assert bob.cli(capsys, "claim", cid).code == 0

    held = alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes")
    assert held.code != 0
    assert "bob claimed conversation" in held.err, held.err
    assert smtp_server.received == [] and _in_sent(dovecot) == []

    forced = alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes", "--force")
    assert forced.code == 0, forced.err
    assert "without checking whether a teammate claimed" in forced.err
    # The reply held a moment ago is pointed out, so it is not sent a second time by accident.
    assert "is still in the outbox" in forced.err and "outbox discard" in forced.err
    assert len(smtp_server.received) == 1 and len(_in_sent(dovecot)) == 1


def test_reply_says_a_teammate_holds_the_conversation_before_it_is_held(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the app's reply head does: known from the last sync, said before 'Send this reply?'."""
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    assert bob.cli(capsys, "claim", cid).code == 0
    assert alice.cli(capsys, "sync").code == 0

    held = alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes")
    assert held.code == 10, held.err
    warned, refused = held.err.splitlines()
    assert warned == (
        "supportinbox: warning: bob holds this conversation: the reply waits in the outbox until you "
        "send it anyway (or add --force)"
    )
    assert refused.startswith(f"supportinbox: #1 held: bob claimed conversation {cid};")
    drafted = alice.cli(capsys, "reply", cid, "-t", TEMPLATE)  # only printed: nothing to warn of
    assert drafted.code == 0 and "holds this conversation" not in drafted.err


def test_reply_again_to_a_claimed_conversation_names_the_held_one_and_queues_none(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run twice, 'reply' held two copies; 'send-anyway' on both sent the customer two."""
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    assert bob.cli(capsys, "claim", cid).code == 0
    assert alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes").code == 10

    for extra in ([], ["--again"]):
        second = alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes", *extra)
        assert second.code == 10, second.err
        assert second.err == (
            "supportinbox: not queued: reply #1 to this conversation is already in the outbox "
            f"(held: bob claimed conversation {cid}); 'supportinbox outbox send-anyway 1' sends it "
            "anyway, 'supportinbox outbox edit 1' edits it first, 'supportinbox outbox discard 1' "
            "drops it\n"
        )
    assert [row.id for row in store.list_rows(alice.db.conn, ("held", "queued"))] == [1]
    assert alice.cli(capsys, "outbox", "send-anyway", "1").code == 0
    assert len(smtp_server.received) == 1 and len(_in_sent(dovecot)) == 1
    # Once the held reply went out, another is a second reply, asked about as ever.
    again = alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes")
    assert again.code == 11 and "add --again" in again.err, again.err


def test_outbox_retry_force_sends_a_held_reply_once(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    assert bob.cli(capsys, "claim", cid).code == 0
    held = alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes")
    assert held.code != 0 and "bob claimed" in held.err
    (row,) = store.list_rows(alice.db.conn, ("held",))

    again = alice.cli(capsys, "outbox", "retry", str(row.id))
    assert again.code == 10 and "bob claimed" in again.err
    # The way out is named, and it is not the command that was just run.
    assert f"outbox send-anyway {row.id}" in again.err and "outbox retry" not in again.err
    assert smtp_server.received == []

    forced = alice.cli(capsys, "outbox", "retry", "--force", str(row.id))
    assert forced.code == 0, forced.err
    assert f"#{row.id} sent" in forced.out and "--force" in forced.err
    assert len(smtp_server.received) == 1 and len(_in_sent(dovecot)) == 1
    assert alice.cli(capsys, "outbox", "retry", "--force").out.strip() == "nothing to send"
    assert len(smtp_server.received) == 1

    # The team command keeps working for the same purpose.
    bob_reply = bob.draft_reply(cid)
    assert bob.send(bob_reply).outcomes[0].status == "held"  # alice answered meanwhile
    anyway = bob.cli(capsys, "team", "send-anyway", str(bob_reply))
    assert anyway.code == 0, anyway.err
    assert len(smtp_server.received) == 2


def test_status_reaches_a_teammate_without_a_sync_of_its_author(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, None)
    closed = alice.cli(capsys, "status", cid, "closed")
    assert closed.code == 0, closed.err
    assert closed.err == ""  # shared at once: no "next sync" note
    # Said as claim and note say it: what changed, and that the team has it.
    assert closed.out.strip() == f"{cid} is closed now (shared with the team)"

    bob.sync()
    assert bob.queue_row(cid) == (None, "closed")

    snoozed = bob.cli(capsys, "snooze", cid, "--for", "2d")
    assert snoozed.code == 0 and snoozed.err == "", snoozed.err
    alice.sync()
    assert alice.queue_row(cid)[1] == "snoozed"


def test_status_offline_stays_local_with_a_note_and_travels_at_the_next_sync(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, None)
    online = account_toml(dovecot, None, agent="alice")
    write_config(alice.home, account_toml(dovecot, None, agent="alice", offline=True))

    closed = alice.cli(capsys, "status", cid, "closed")
    assert closed.code == 0, closed.err
    assert closed.out.strip() == f"{cid} is closed now"
    assert len(closed.err.strip().splitlines()) == 1 and "next sync" in closed.err
    bob.sync()
    assert bob.queue_row(cid)[1] != "closed"

    write_config(alice.home, online)
    assert alice.cli(capsys, "sync").code == 0
    bob.sync()
    assert bob.queue_row(cid)[1] == "closed"


def test_reply_names_its_agent_and_a_late_teammate_is_told_who_replied(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    sent = alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes")
    assert sent.code == 0, sent.err
    (filed,) = _in_sent(dovecot)
    assert message_from_bytes(filed, policy=policy.default)["X-Supportinbox-Agent"] == "alice"

    held = bob.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes")  # bob has not synced
    assert held.code != 0
    assert "alice already replied to conversation" in held.err, held.err
    assert len(smtp_server.received) == 1


def test_a_fresh_process_asks_the_team_before_any_send(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each command loads only its own module: every one that sends passes the teammate check
    to the sender itself (the in-process runs above have every module loaded already)."""
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    assert bob.cli(capsys, "claim", cid).code == 0
    reply = cliproc.run_cli(alice.home, "reply", cid, "-t", TEMPLATE, "--send", "--yes")
    assert reply.returncode == 10 and "bob claimed" in reply.stderr, reply.describe()
    (row,) = store.list_rows(alice.db.conn)
    retried = cliproc.run_cli(alice.home, "outbox", "retry", str(row.id))  # asks the server again
    assert retried.returncode == 10 and "bob claimed" in retried.stderr, retried.describe()
    assert cliproc.run_cli(alice.home, "sync").returncode == 0
    assert smtp_server.received == [] and _in_sent(dovecot) == []


def test_with_a_wrong_password_a_team_change_says_it_is_kept_and_is_shared_once_fixed(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, None)
    right = account_toml(dovecot, agent="bob")
    write_config(bob.home, right.replace("printf %s secret", "printf %s wrong"))

    claimed = bob.cli(capsys, "claim", cid)
    noted = bob.cli(capsys, "note", cid, "asked finance about the refund")
    for done, what in ((claimed, f"{cid} claimed"), (noted, f"note on {cid} saved")):
        assert done.code == 5 and done.out == ""
        (line,) = done.err.splitlines()
        assert line.startswith(f"supportinbox: {what} here only, not shared with the team: IMAP login ")
        assert "what password_command of [accounts.support] prints" in line
        assert line.endswith("; the next sync shares it")

    # Kept, not lost: once the password is right the next sync shares both, once.
    write_config(bob.home, right)
    assert bob.cli(capsys, "sync").code == 0
    alice.sync()
    assert alice.queue_row(cid)[0] == "bob"
    shown = alice.cli(capsys, "show", cid)
    assert shown.out.count("asked finance about the refund") == 1


def test_a_second_hand_over_on_the_command_line_is_warned_about(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, None)
    first = alice.cli(capsys, "assign", cid, "bob")
    assert first.code == 0 and "handed over" not in first.err
    bob.sync()
    second = bob.cli(capsys, "assign", cid, "alice")
    assert second.code == 0
    assert second.out == f"{cid} assigned to alice (shared with the team)\n"
    assert second.err == (
        f"supportinbox: warning: {cid} has been handed over 2×: "
        "hand a customer over at most once, to someone who can solve it\n"
    )


def test_assigning_to_a_name_never_seen_on_the_mailbox_is_warned_about(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, None)
    assert bob.cli(capsys, "note", cid, "I know this customer").code == 0  # bob leaves a trace
    alice.sync()
    typo = alice.cli(capsys, "assign", cid, "bobb")
    assert typo.code == 0 and typo.out == f"{cid} assigned to bobb (shared with the team)\n"
    assert typo.err == (
        "supportinbox: warning: no agent 'bobb' was seen on this mailbox before (alice, bob): "
        "if that is a typo, assign it again to the right name, then 'supportinbox team forget bobb' "
        "gives back its team slot\n"
    )
    fixed = alice.cli(capsys, "assign", cid, "bob")
    assert fixed.code == 0 and "no agent" not in fixed.err
    # The advice works: the typo's slot is free again.
    assert alice.cli(capsys, "team", "forget", "bobb").code == 0
    assert "bobb" not in alice.cli(capsys, "team", "status").out


def test_forgetting_an_agent_drops_their_claims_on_this_copy_at_once(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, _bob, cid = _team(tmp_path, dovecot, None)
    assert alice.cli(capsys, "assign", cid, "bobb").code == 0  # a typo
    assert alice.queue_row(cid)[0] == "bobb"
    forgot = alice.cli(capsys, "team", "forget", "bobb")
    assert forgot.out == "bobb's team slot is free again; their claim was removed from 1 message(s)\n"
    assert alice.queue_row(cid)[0] is None  # not only after the next sync
    assert "bobb" not in alice.cli(capsys, "agents").out


def test_a_registration_that_lost_its_slot_names_no_teammate(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, None)
    assert alice.cli(capsys, "claim", cid).code == 0  # alice takes slot 1
    forged = build_registry_message(bob.account, "mallory", "mallory", 1)  # another client's
    with client(dovecot) as imap:
        imap.append(STATE_FOLDER, forged)
    bob.sync()
    assert bob.cli(capsys, "agents").out == "alice  (claim, synced, team slot)\nbob  (synced, you)\n"


def test_a_teammate_who_has_only_synced_is_known_by_name(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, cid = _team(tmp_path, dovecot, None)  # bob synced once, after alice
    alice.sync()
    assert alice.cli(capsys, "agents").out == "alice  (synced, you)\nbob  (synced)\n"
    handed = alice.cli(capsys, "assign", cid, "bob")
    assert handed.code == 0 and handed.err == ""
    # One announcement each, not one per sync.
    bob.sync()
    alice.sync()
    assert sorted(str(e["agent"]) for e in state_entries(dovecot, ("hello",))) == ["alice", "bob"]


def test_claiming_ones_own_or_releasing_a_free_conversation_says_so(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, _bob, cid = _team(tmp_path, dovecot, None)
    assert alice.cli(capsys, "release", cid).out == f"{cid}: nobody holds it\n"
    assert alice.cli(capsys, "claim", cid).out == f"{cid} claimed by alice (shared with the team)\n"
    assert alice.cli(capsys, "claim", cid).out == f"{cid} is yours already\n"
    assert alice.cli(capsys, "release", cid).out == f"{cid} released (shared with the team)\n"


def test_sla_check_names_who_holds_each_breached_conversation(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    """A lead reading ``sla --check`` from cron sees whose each late conversation is."""
    old = datetime.now(UTC) - timedelta(hours=3)
    held_mid, free_mid = "<held@customer.test>", "<free@customer.test>"
    append(
        dovecot,
        [
            make_message(message_id=held_mid, subject="Invoice wrong", date=old),
            make_message(
                message_id=free_mid, sender="Ana <ana@customer.test>", subject="Export broken", date=old
            ),
        ],
    )
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"), extra='[sla]\nfirst_reply = "1h"\n')
    held, free = alice.conversation_of(held_mid), alice.conversation_of(free_mid)
    assert alice.cli(capsys, "claim", held).code == 0
    assert bob.cli(capsys, "sync").code == 0

    checked = bob.cli(capsys, "sla", "--check")
    assert checked.code == 10, checked.err
    lines = {line.split()[0]: line for line in checked.out.splitlines()}
    assert "breached" in lines[held] and "held by alice" in lines[held], checked.out
    assert "held by nobody" in lines[free], checked.out
    as_json = bob.cli(capsys, "sla", "--check", "--json")
    assert {r["id"]: r["assigned_to"] for r in json.loads(as_json.out)} == {held: "alice", free: None}


def test_reply_again_run_twice_at_once_on_a_claimed_conversation_queues_one(
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two 'reply --again' at once (two cron jobs): the second is queued while the first is
    still on its way to being held, so neither is held yet when the other looks. Both were
    held, and 'send-anyway' on both answered the customer twice: one is queued, the other is
    told which one waits, exit 10."""
    from supportinbox.app import outbox as outbox_use

    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    assert bob.cli(capsys, "claim", cid).code == 0
    command = ("reply", cid, "-t", TEMPLATE, "--send", "--yes", "--again")
    real_send = outbox_use.send
    others: list[cliproc.Run] = []

    def send_after_the_other(*args: object, **kwargs: object) -> object:
        if not others:  # this reply is queued, not sent yet: the other command runs now
            others.append(cliproc.run_cli(alice.home, *command, timeout=120))
        return real_send(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox_use, "send", send_after_the_other)
    mine = alice.cli(capsys, *command)

    (other,) = others
    # The other command's reply (#2) was held first; this one, held next, is not kept beside it.
    assert other.returncode == 10, other.describe()
    assert other.stderr.startswith(f"supportinbox: #2 held: bob claimed conversation {cid};"), other.stderr
    assert mine.code == 10, mine.err
    assert mine.err == (
        "supportinbox: #1 not kept: reply #2 to this conversation is already held in the outbox "
        f"(bob claimed conversation {cid}); 'supportinbox outbox send-anyway 2' sends it anyway, "
        "'supportinbox outbox edit 2' edits it first, 'supportinbox outbox discard 2' drops it\n"
    )
    assert [row.id for row in store.list_rows(alice.db.conn, store.WAITING)] == [2]
    assert alice.cli(capsys, "outbox", "send-anyway", "2").code == 0
    assert alice.cli(capsys, "outbox", "retry", "--force").out.strip() == "nothing to send"
    assert len(smtp_server.received) == 1


def test_two_different_replies_queued_at_once_on_a_claimed_conversation_are_both_held(
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two replies saying different things, queued at once: neither is dropped for the
    other. Both wait for the user, who decides which one goes."""
    from supportinbox.app import outbox as outbox_use

    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    assert bob.cli(capsys, "claim", cid).code == 0
    real_send = outbox_use.send
    others: list[cliproc.Run] = []

    def send_after_the_other(*args: object, **kwargs: object) -> object:
        if not others:
            others.append(
                cliproc.run_cli(
                    alice.home, "reply", cid, "-t", "login-help", "--send", "--yes", "--again", timeout=120
                )
            )
        return real_send(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox_use, "send", send_after_the_other)
    mine = alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes", "--again")

    (other,) = others
    assert other.returncode == 10, other.describe()
    assert mine.code == 10, mine.err
    assert "not kept" not in mine.err, mine.err
    assert sorted(row.id for row in store.list_rows(alice.db.conn, store.WAITING)) == [1, 2]
    assert len(smtp_server.received) == 0


def test_a_forced_reply_the_mail_server_refused_is_still_forced_when_tried_again(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """--force said: send it although bob holds the conversation. SMTP refusing it for a
    while changes nothing of that: the retry sends it, it is not held for bob after all."""
    alice, bob, cid = _team(tmp_path, dovecot, smtp_server)
    assert bob.cli(capsys, "claim", cid).code == 0
    smtp_server.set_refusing(True)
    refused = alice.cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes", "--force")
    assert refused.code == 9, refused.err
    assert "It stays in the outbox" in refused.err and "without the teammate check" in refused.err
    smtp_server.set_refusing(False)

    retried = alice.cli(capsys, "outbox", "retry")
    assert retried.code == 0, retried.err
    assert retried.out.startswith("reply #1 sent to "), retried.out
    assert len(smtp_server.received) == 1 and len(_in_sent(dovecot)) == 1
