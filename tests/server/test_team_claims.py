"""Claims, assignment and status shared by three teammates with separate caches on ONE Dovecot."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from supportinbox.app import team_actions
from supportinbox.config import load_config
from supportinbox.errors import UserError
from supportinbox.store.conversations import list_queue, set_status
from supportinbox.store.db import open_database
from supportinbox.store.rebuild import rebuild_cache
from supportinbox.team import hook as hook_module
from supportinbox.team.server import KeywordServer, TeamConflict
from supportinbox.team.statefolder import STATE_FOLDER, build_registry_message
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.team import Teammate, make_team, server_registry, team_flags

pytestmark = [pytest.mark.server, pytest.mark.both_servers]

MID = "<login@customer.test>"


def _server_flags(dovecot: Dovecot, message_id: str = MID) -> set[str]:
    return team_flags(dovecot, message_id)


def _team(tmp_path: Path, dovecot: Dovecot):  # type: ignore[no-untyped-def]
    append(dovecot, [make_message(message_id=MID, subject="Cannot log in")])
    alice, bob, carol = make_team(tmp_path, dovecot, None)
    return alice, bob, carol, alice.conversation_of(MID)


def test_claim_is_seen_by_every_teammate_after_sync(tmp_path: Path, dovecot: Dovecot) -> None:
    alice, bob, carol, cid = _team(tmp_path, dovecot)
    assert bob.conversation_of(MID) == cid == carol.conversation_of(MID)

    result = team_actions.claim(alice.ctx(), cid)
    assert result.online and result.state.assigned_to == "alice"
    assert "holder:alice" in _server_flags(dovecot)
    assert alice.queue_row(cid)[0] == "alice"
    assert bob.queue_row(cid)[0] is None  # not synced yet

    hook = bob.sync()
    carol.sync()
    assert bob.queue_row(cid)[0] == "alice" and carol.queue_row(cid)[0] == "alice"
    assert any("alice holds it" in e.text for e in hook.events)
    assert any(line.startswith("team: ") and "alice holds it" in line for line in hook.summary_lines())
    # 'list --mine' / '--unassigned' read the same data.
    assert [s.id for s in list_queue(alice.db, assigned_to="alice")] == [cid]
    assert [s.id for s in list_queue(bob.db, assigned_to="bob")] == []
    assert list_queue(bob.db, unassigned=True) == []


def _pressed_while_asked(
    patched: pytest.MonkeyPatch, module: ModuleType, method: str, press: Callable[[], object]
) -> None:
    """A key pressed in the app while the server is asked: ``press`` runs as the team
    server that ``module`` opens is called on ``method`` (the cache is not locked then)."""
    opened = module.open_team_server

    def opening(*args: Any, **kwargs: Any) -> Any:
        server = opened(*args, **kwargs)
        asked = getattr(server, method)

        def pressed_first(*a_args: Any, **a_kwargs: Any) -> Any:
            press()
            return asked(*a_args, **a_kwargs)

        patched.setattr(server, method, pressed_first)
        return server

    patched.setattr(module, "open_team_server", opening)


def test_a_status_set_while_the_claim_is_on_its_way_is_kept_and_shared(
    tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claim, then at once Pending (as the app does it: each change in the cache at once,
    then shared): the server's answer to the claim, made from the state before Pending,
    must not put the conversation back to open, and the next share must carry Pending."""
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    team_actions.claim(alice.ctx(), cid, share=False)
    with monkeypatch.context() as patched:
        _pressed_while_asked(
            patched, team_actions, "write", lambda: set_status(alice.db, cid, "pending", agent="alice")
        )
        assert team_actions.push_state(alice.ctx(), cid).online
    assert "holder:alice" in _server_flags(dovecot)
    assert alice.queue_row(cid) == ("alice", "pending")

    shared = team_actions.push_state(alice.ctx(), cid)
    assert shared.online and shared.state.status == "pending"
    bob.sync()
    assert bob.queue_row(cid) == ("alice", "pending")


def test_a_status_set_while_a_sync_merges_the_team_state_is_kept_and_shared(
    tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's sync runs beside the keys: Close pressed while the sync writes this
    conversation's earlier change (Pending) must not be put back to pending by the sync."""
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    set_status(alice.db, cid, "pending", agent="alice")  # in the cache; the sync shares it
    with monkeypatch.context() as patched:
        _pressed_while_asked(
            patched, hook_module, "write", lambda: set_status(alice.db, cid, "closed", agent="alice")
        )
        alice.sync()
    assert alice.queue_row(cid) == (None, "closed")
    alice.sync()
    bob.sync()
    assert bob.queue_row(cid) == (None, "closed")


def test_a_status_set_while_a_sync_reads_the_team_state_goes_with_the_next_sync(
    tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change made while the sync reads the server, on a conversation it writes nothing
    for, whose own share did not get through: the next sync still sends it (the merge is
    not marked done with a change it never saw)."""
    append(dovecot, [make_message(message_id="<other@customer.test>", subject="Invoice")])
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    other = alice.conversation_of("<other@customer.test>")
    team_actions.claim(bob.ctx(), cid)  # something for alice's next sync to take in
    with monkeypatch.context() as patched:
        _pressed_while_asked(
            patched, hook_module, "resolve_all", lambda: set_status(alice.db, other, "pending", agent="alice")
        )
        alice.sync()
    assert alice.queue_row(cid) == ("bob", "open") and alice.queue_row(other) == (None, "pending")
    alice.sync()
    bob.sync()
    assert bob.queue_row(other) == (None, "pending")


def test_claim_of_a_held_conversation_is_refused_naming_the_holder(tmp_path: Path, dovecot: Dovecot) -> None:
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    team_actions.claim(alice.ctx(), cid)
    # Bob has not synced: his cache says nobody holds it, the server says alice does.
    with pytest.raises(TeamConflict, match=f"^alice holds {cid}: ask them first$"):
        team_actions.claim(bob.ctx(), cid)
    assert bob.queue_row(cid)[0] == "alice"  # bob's cache now shows the truth
    assert "holder:bob" not in _server_flags(dovecot)
    assert server_registry(dovecot) == {1: "alice"}  # a refused claim takes no team slot
    with pytest.raises(TeamConflict, match="alice holds"):
        team_actions.release(bob.ctx(), cid)

    taken = team_actions.claim(bob.ctx(), cid, force=True)
    assert taken.state.assigned_to == "bob"
    flags = _server_flags(dovecot)
    assert "holder:bob" in flags and "holder:alice" not in flags
    alice.sync()
    assert alice.queue_row(cid)[0] == "bob"


def test_simultaneous_claims_end_with_one_holder_everyone_agrees_on(tmp_path: Path, dovecot: Dovecot) -> None:
    alice, bob, carol, cid = _team(tmp_path, dovecot)
    # Interleave for real: alice reads the flags, then bob claims, then alice STOREs.
    original_fetch = KeywordServer.fetch
    calls = {"n": 0}

    def fetch_then_bob_claims(self: KeywordServer, uids: tuple[int, ...]):  # type: ignore[no-untyped-def]
        found = original_fetch(self, uids)
        calls["n"] += 1
        if calls["n"] == 1 and self.account.agent == "alice":
            team_actions.claim(bob.ctx(), cid)
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(KeywordServer, "fetch", fetch_then_bob_claims)
        with pytest.raises(TeamConflict, match="bob holds"):
            team_actions.claim(alice.ctx(), cid)
    flags = _server_flags(dovecot)
    assert "holder:bob" in flags and "holder:alice" not in flags
    for mate in (alice, bob, carol):
        mate.sync()
    assert {m.queue_row(cid)[0] for m in (alice, bob, carol)} == {"bob"}


def test_claims_that_landed_together_settle_on_one_winner(tmp_path: Path, dovecot: Dovecot) -> None:
    alice, bob, carol, cid = _team(tmp_path, dovecot)
    # Both keywords on the server at once (e.g. two clients on a server without CONDSTORE).
    with client(dovecot) as imap:
        imap.select_folder("INBOX")
        (uid,) = imap.search(["HEADER", "Message-ID", MID.strip("<>")])
        imap.add_flags([uid], ["$si-state", "$si-holder-2", "$si-holder-1"])
        if not imap.folder_exists(STATE_FOLDER):  # made by the teammates' announcements
            imap.create_folder(STATE_FOLDER)
        imap.append(STATE_FOLDER, build_registry_message(carol.account, "carol", "carol", 1))
        imap.append(STATE_FOLDER, build_registry_message(bob.account, "bob", "bob", 2))
    hooks = {m.agent: m.sync() for m in (bob, alice, carol)}
    assert server_registry(dovecot) == {1: "carol", 2: "bob"}
    assert {m.queue_row(cid)[0] for m in (alice, bob, carol)} == {"carol"}  # the lowest slot
    assert any("claimed it at the same time" in e.text for e in hooks["bob"].events)
    flags = _server_flags(dovecot)
    assert "holder:carol" in flags and "holder:bob" not in flags
    bob.sync()
    assert bob.queue_row(cid)[0] == "carol"


def test_claim_made_offline_loses_to_an_earlier_one(tmp_path: Path, dovecot: Dovecot) -> None:
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    offline = bob.account.model_copy(update={"imap_port": 1})
    result = team_actions.claim(bob.ctx(offline), cid)
    assert not result.online and bob.queue_row(cid)[0] == "bob"
    team_actions.claim(alice.ctx(), cid)
    hook = bob.sync()
    assert bob.queue_row(cid)[0] == "alice"
    assert any(e.kind == "conflict" and "alice took it first" in e.text for e in hook.events)
    assert "holder:bob" not in _server_flags(dovecot)


def test_offline_claim_reaches_the_server_at_next_sync(tmp_path: Path, dovecot: Dovecot) -> None:
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    offline = bob.account.model_copy(update={"imap_port": 1})
    team_actions.claim(bob.ctx(offline), cid)
    assert "holder:bob" not in _server_flags(dovecot)
    bob.sync()
    assert "holder:bob" in _server_flags(dovecot)
    alice.sync()
    assert alice.queue_row(cid)[0] == "bob"


def test_status_and_assignment_travel_and_release_clears(tmp_path: Path, dovecot: Dovecot) -> None:
    alice, bob, carol, cid = _team(tmp_path, dovecot)
    team_actions.assign(alice.ctx(), cid, "carol")
    set_status(alice.db, cid, "pending", agent="alice")
    alice.sync()  # pushes the status set by the triage command
    flags = _server_flags(dovecot)
    assert {"holder:carol", "$si-status-pending", "$si-state"} <= flags
    assert not any(f.startswith(("$si-by", "$si-seen", "$si-at", "$si-claim")) for f in flags)
    bob.sync()
    assert bob.queue_row(cid) == ("carol", "pending")
    carol.sync()
    assert [s.id for s in list_queue(carol.db, status="pending", assigned_to="carol")] == [cid]
    team_actions.release(carol.ctx(), cid)
    bob.sync()
    assert bob.queue_row(cid) == (None, "pending")
    assert [s.id for s in list_queue(bob.db, status="pending", unassigned=True)] == [cid]
    with pytest.raises(UserError, match="not an agent name"):
        team_actions.assign(alice.ctx(), cid, "no body")


def test_claim_and_status_from_the_command_line(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, carol, cid = _team(tmp_path, dovecot)
    done = alice.cli(capsys, "claim", cid)
    assert done.code == 0 and "claimed by alice (shared with the team)" in done.out
    refused = bob.cli(capsys, "claim", cid)
    assert refused.code == 10 and "alice holds" in refused.err and "Traceback" not in refused.err
    assert bob.cli(capsys, "sync").code == 0
    mine = bob.cli(capsys, "list", "--mine", "--json")
    assert mine.code == 0 and cid not in mine.out
    theirs = alice.cli(capsys, "list", "--mine", "--json")
    assert cid in theirs.out
    agents = bob.cli(capsys, "agents")
    assert "alice" in agents.out and "bob" in agents.out
    unknown = carol.cli(capsys, "claim", "zzzzzzzz")
    assert unknown.code == 8 and "no conversation" in unknown.err and "Traceback" not in unknown.err
    assert carol.cli(capsys, "note", "zzzzzzzz", "x").code == 8
    assert carol.cli(capsys, "sync").code == 0
    status = carol.cli(capsys, "team", "status")
    assert "IMAP keywords" in status.out and "alice holds it" in status.out


def test_snooze_travels_to_the_minute(tmp_path: Path, dovecot: Dovecot) -> None:
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    set_status(alice.db, cid, "snoozed", agent="alice", snoozed_until=until)
    team_actions.push_state(alice.ctx(), cid)
    assert "$si-status-snoozed" in _server_flags(dovecot)
    assert not any(f.startswith("$si-snooze") for f in _server_flags(dovecot))
    bob.sync()
    row = bob.db.conn.execute(
        "SELECT status, snoozed_until FROM conversations WHERE id = ?", (cid,)
    ).fetchone()
    assert row[0] == "snoozed" and row[1] == until.replace(second=0).isoformat()


def test_closed_then_customer_writes_reopens_for_everyone(tmp_path: Path, dovecot: Dovecot) -> None:
    alice, bob, carol, cid = _team(tmp_path, dovecot)
    # Closed a while ago (offline, say), shared at alice's next sync.
    set_status(alice.db, cid, "closed", agent="alice", now=datetime.now(UTC) - timedelta(minutes=2))
    alice.sync()
    bob.sync()
    assert alice.queue_row(cid)[1] == bob.queue_row(cid)[1] == "closed"
    append(
        dovecot,
        [
            make_message(
                message_id="<again@customer.test>",
                subject="Re: Cannot log in",
                in_reply_to=MID,
                references=MID,
                date=datetime.now(UTC),
            )
        ],
    )
    for mate in (alice, bob, carol):  # carol sees the close for the first time now
        mate.sync()
    assert {mate.queue_row(cid)[1] for mate in (alice, bob, carol)} == {"open"}


def test_cache_rebuild_does_not_push_stale_state_over_teammates(tmp_path: Path, dovecot: Dovecot) -> None:
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    set_status(bob.db, cid, "pending", agent="bob")
    bob.sync()
    set_status(alice.db, cid, "closed", agent="alice")  # newer than bob's, bob has not seen it
    alice.sync()
    bob.db.close()
    with bob.active():
        rebuild_cache(bob.name)
        bob.db = open_database(account=bob.name)
    bob.sync()
    assert bob.queue_row(cid)[1] == "closed"
    assert "$si-status-closed" in _server_flags(dovecot)


def test_agent_names_of_any_script_travel_exactly(tmp_path: Path, dovecot: Dovecot) -> None:
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    team_actions.assign(alice.ctx(), cid, "Zoë")
    assert "holder:Zoë" in _server_flags(dovecot)
    bob.sync()
    assert bob.queue_row(cid)[0] == "Zoë"
    team_actions.assign(alice.ctx(), cid, "علی")
    bob.sync()
    assert bob.queue_row(cid)[0] == "علی"
    assert "Zoë" not in bob.queue_row(cid)


def test_a_rebuilt_cache_takes_in_old_team_news_quietly(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    """After 'cache rebuild', the notes and tags fetched again are not announced as news;
    what a teammate does afterwards is."""
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    assert alice.cli(capsys, "note", cid, "Customer is on the Pro plan").code == 0
    assert alice.cli(capsys, "tag", cid, "+billing").code == 0
    first = bob.cli(capsys, "sync")
    told = first.out + first.err
    assert "alice added a note" in told and "alice tagged it +billing" in told

    bob.db.close()
    rebuilt = bob.cli(capsys, "cache", "rebuild", "--yes")
    assert rebuilt.code == 0, rebuilt.err
    said = rebuilt.out + rebuilt.err
    assert "alice added a note" not in said and "tagged it" not in said, said
    bob.db = open_database(account=bob.name)
    shown = bob.cli(capsys, "show", cid)
    assert "Customer is on the Pro plan" in shown.out and "billing" in shown.out
    history = bob.cli(capsys, "team", "status", "--events", "50")
    assert history.out.count("alice added a note") == 1, history.out  # the history is kept, once

    assert alice.cli(capsys, "note", cid, "Refund approved").code == 0
    later = bob.cli(capsys, "sync")
    assert "alice added a note" in later.out + later.err


def test_a_new_teammates_first_sync_takes_in_the_team_state_quietly(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone joining the team finds every claim, status, note and tag as it stands: that is
    no news to announce line by line (hundreds on a busy mailbox); what happens next is."""
    append(dovecot, [make_message(message_id=MID, subject="Cannot log in")])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    for args in (
        ("claim", cid),
        ("status", cid, "pending"),
        ("note", cid, "On the Pro plan"),
        ("tag", cid, "+vip"),
    ):
        assert bob.cli(capsys, *args).code == 0, args
    home = tmp_path / "home-dana"
    write_config(home, account_toml(dovecot, None, agent="dana"))
    dana = Teammate("dana", home, alice.config, alice.name, alice.account, alice.db)
    with dana.active():
        dana.config = load_config()
        dana.name, dana.account = dana.config.account()
        dana.db = open_database(account=dana.name)
    first = dana.cli(capsys, "sync")
    assert first.code == 0 and "team:" not in first.out + first.err, first
    assert dana.queue_row(cid) == ("bob", "pending")
    assert "On the Pro plan" in dana.cli(capsys, "show", cid).out

    assert bob.cli(capsys, "status", cid, "closed").code == 0
    later = dana.cli(capsys, "sync")
    assert "bob set it closed" in later.out, later


def test_state_of_a_conversation_with_nothing_in_the_inbox_waits_for_its_next_message(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    """The customer's mail was deleted, our reply is left in Sent: nothing carries the
    keywords, so the state waits (no error at every sync) and goes with the next message."""
    _alice, bob, _carol, _cid = _team(tmp_path, dovecot)
    ours = make_message(
        sender="Acme Support <support@acme.test>",
        to="customer@example.test",
        subject="Re: Cannot log in",
        message_id="<ours@acme.test>",
        in_reply_to=MID,
    )
    append(dovecot, [ours], folder="Sent")
    with client(dovecot) as imap:
        imap.select_folder("INBOX")
        imap.delete_messages(imap.search(["HEADER", "Message-ID", MID]))
        imap.expunge()
    bob.sync()
    cid = bob.conversation_of("<ours@acme.test>")
    set_status(bob.db, cid, "pending", agent="bob")
    for _ in range(2):
        assert bob.sync().problems == []
    assert bob.queue_row(cid)[1] == "pending"

    again = make_message(
        subject="Re: Cannot log in", message_id="<again@customer.test>", in_reply_to="<ours@acme.test>"
    )
    append(dovecot, [again])
    assert bob.sync().problems == []
    bob.sync()  # the sync after the one that linked the new message to the conversation
    assert "$si-status-pending" in team_flags(dovecot, "<again@customer.test>")


def test_team_status_says_when_in_the_local_clock(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    team_actions.claim(alice.ctx(), cid)
    bob.sync()
    # Read ten days later: said as every list says a day further than yesterday.
    with bob.db.transaction() as tx:
        tx.execute("UPDATE team_events SET created_at = '2026-11-20T10:05:00+00:00'")
    monkeypatch.setenv("TZ", "Asia/Tehran")
    time.tzset()
    try:
        (event,) = json.loads(bob.cli(capsys, "team", "status", "--json").out)["events"]
        shown = bob.cli(capsys, "team", "status").out
    finally:
        monkeypatch.undo()
        time.tzset()
    assert event["at"] == "2026-11-20T10:05:00+00:00"
    assert f"Fri 20 Nov 13:35  teammate   {cid}" in shown, shown


def test_the_newer_of_two_offline_status_changes_wins_whoever_syncs_last(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    # Both offline: alice set it pending, a minute later bob closed it. Bob's client comes back
    # first and shares his close; alice's, syncing after, must not put her older change over it.
    alice, bob, _carol, cid = _team(tmp_path, dovecot)
    now = datetime.now(UTC)
    set_status(alice.db, cid, "pending", agent="alice", now=now - timedelta(minutes=2))
    set_status(bob.db, cid, "closed", agent="bob", now=now - timedelta(minutes=1))
    assert bob.sync().events == []
    hook = alice.sync()
    assert [(e.kind, e.agent) for e in hook.events] == [("conflict", "bob")]
    assert "bob set it closed after you set it pending: their newer change stands" in hook.events[0].text
    assert "$si-status-closed" in _server_flags(dovecot)
    for mate in (alice, bob):
        mate.sync()
        assert mate.queue_row(cid)[1] == "closed", mate.agent


def test_an_offline_claim_beaten_during_the_sync_keeps_its_status_and_says_so(
    tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bob, offline, claimed the conversation and set it pending; as his client came back,
    carol claimed it between his sync's read and its write. Her claim stands; his pending,
    which no one contested, must not be lost with his claim, and he is told in words."""
    alice, bob, carol, cid = _team(tmp_path, dovecot)
    offline = bob.account.model_copy(update={"imap_port": 1})
    assert not team_actions.claim(bob.ctx(offline), cid).online
    set_status(bob.db, cid, "pending", agent="bob")
    opened = hook_module.open_team_server

    def carol_claims_meanwhile(*args: Any, **kwargs: Any) -> Any:
        server = opened(*args, **kwargs)
        write = server.write

        def write_after_carol(*w_args: Any, **w_kwargs: Any) -> Any:
            if not carol.queue_row(cid)[0]:
                assert team_actions.claim(carol.ctx(), cid).online
            return write(*w_args, **w_kwargs)

        monkeypatch.setattr(server, "write", write_after_carol)
        return server

    with monkeypatch.context() as patched:
        patched.setattr(hook_module, "open_team_server", carol_claims_meanwhile)
        hook = bob.sync()
    assert [(e.kind, e.agent, e.text.split("): ", 1)[1]) for e in hook.events] == [
        ("conflict", "carol", "carol took it first; your claim was dropped")
    ]
    assert bob.queue_row(cid) == ("carol", "pending")
    for mate in (alice, carol):
        mate.sync()
        assert mate.queue_row(cid) == ("carol", "pending"), mate.agent
