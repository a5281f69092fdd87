"""A server that refuses custom keywords: team state falls back to the state folder.

Dovecot's ACL plugin without the 'w' right makes PERMANENTFLAGS omit \\* and silently
drops keywords, like servers that do not support them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from supportinbox.app import team_actions
from supportinbox.config import load_config
from supportinbox.team import statefolder
from supportinbox.team.keywords import TeamState
from supportinbox.team.server import TeamConflict
from tests.harness.dovecot import Dovecot, acl_dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.rewriteproxy import RewriteProxy
from tests.harness.smtp import SmtpServer
from tests.harness.team import make_team

pytestmark = pytest.mark.server

MID = "<invoice@customer.test>"


@pytest.fixture
def no_keywords_dovecot() -> Iterator[Dovecot]:
    # Every right but 'w' (flags other than \Seen and \Deleted, keywords included).
    yield from acl_dovecot("* owner lrsteikxa\n")


@pytest.fixture
def read_only_notes_dovecot() -> Iterator[Dovecot]:
    # Keywords allowed, but nothing may be APPENDed to the folder "Notes".
    yield from acl_dovecot("* owner lrwstipekxa\nNotes -owner i\n")


def test_the_server_really_refuses_keywords(no_keywords_dovecot: Dovecot) -> None:
    append(no_keywords_dovecot, [make_message(message_id=MID)])
    with client(no_keywords_dovecot) as imap:
        info = imap.select_folder("INBOX")
        assert b"\\*" not in info[b"PERMANENTFLAGS"]
        imap.add_flags([1], ["$si-claim-alice"])
        assert b"$si-claim-alice" not in imap.get_flags([1])[1]


def test_claims_travel_through_the_state_folder(
    tmp_path: Path, no_keywords_dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    dovecot = no_keywords_dovecot
    append(dovecot, [make_message(message_id=MID, subject="Invoice is wrong")])
    alice, bob, carol = make_team(tmp_path, dovecot, None)
    cid = alice.conversation_of(MID)

    result = team_actions.claim(alice.ctx(), cid)
    assert result.online and result.state.assigned_to == "alice"
    with client(dovecot) as imap:
        assert imap.folder_exists(statefolder.STATE_FOLDER)
        imap.select_folder(statefolder.STATE_FOLDER, readonly=True)
        assert len(imap.search(["ALL"])) == 3 + 1  # the teammates' announcements, the claim
    bob.sync()
    assert bob.queue_row(cid)[0] == "alice"
    status = bob.cli(capsys, "team", "status")
    assert "Support State" in status.out and "refuses custom keywords" in status.out
    with pytest.raises(TeamConflict, match="alice holds"):
        team_actions.claim(bob.ctx(), cid)

    # Simultaneous claims: carol reads the state, bob claims, then carol writes.
    team_actions.release(alice.ctx(), cid)
    bob.sync()
    carol.sync()
    assert bob.queue_row(cid)[0] is None and carol.queue_row(cid)[0] is None
    original = statefolder.append_state
    calls = {"n": 0}

    def bob_first(*args: Any) -> None:
        calls["n"] += 1
        if args[2] == "carol" and calls["n"] == 1:
            team_actions.claim(bob.ctx(), cid)
        original(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(statefolder, "append_state", bob_first)
        with pytest.raises(TeamConflict, match="bob claimed this conversation first"):
            team_actions.claim(carol.ctx(), cid)
    for mate in (alice, bob, carol):
        mate.sync()
    assert {m.queue_row(cid)[0] for m in (alice, bob, carol)} == {"bob"}


def test_collision_check_reads_the_state_folder(
    tmp_path: Path, no_keywords_dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    append(no_keywords_dovecot, [make_message(message_id=MID)])
    alice, bob = make_team(tmp_path, no_keywords_dovecot, smtp_server, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    team_actions.claim(alice.ctx(), cid)
    (outcome,) = bob.send(bob.draft_reply(cid)).outcomes
    assert outcome.status == "held" and "alice claimed" in outcome.message
    assert smtp_server.received == []


def test_state_log_replay_is_deterministic() -> None:
    def entry(uid: int, base: int, author: str, claim: str | None, status: str | None = None):  # type: ignore[no-untyped-def]
        return statefolder.LogEntry(uid, "c1", base, TeamState(status, None, claim), author)

    entries = [
        entry(1, 0, "alice", None, "open"),
        entry(2, 1, "bob", "bob"),  # claims, based on 1
        entry(3, 1, "carol", "carol", "pending"),  # claims too, also based on 1: loses, status kept
    ]
    for order in (entries, entries[::-1]):
        resolution, lost, _ = statefolder.resolve_log(order)
        assert resolution.state == TeamState("pending", None, "bob")
        assert [(c.author, c.holder) for c in lost] == [("carol", "bob")]


def test_a_server_refusing_notes_does_not_stop_the_sync(
    tmp_path: Path, read_only_notes_dovecot: Dovecot
) -> None:
    dovecot = read_only_notes_dovecot
    with client(dovecot) as imap:
        imap.create_folder("Notes")
    append(dovecot, [make_message(message_id=MID)])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"), extra='notes_folder = "Notes"')
    cid = alice.conversation_of(MID)
    result = team_actions.add_note(alice.ctx(), cid, "refused by the server")
    assert not result.online
    offline = alice.account.model_copy(update={"imap_port": 1})
    team_actions.claim(alice.ctx(offline), cid)

    hook = alice.sync()  # does not raise: the mail and the claim still travel
    assert any("notes not exchanged" in line for line in hook.summary_lines())
    bob.sync()
    assert bob.queue_row(cid)[0] == "alice"
    unsent = alice.db.conn.execute("SELECT COUNT(*) FROM notes WHERE uploaded = 0").fetchone()[0]
    assert unsent == 1  # kept, tried again at every sync


def test_a_server_that_announces_keywords_but_drops_them_is_found_out(
    tmp_path: Path, no_keywords_dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    dovecot = no_keywords_dovecot
    append(dovecot, [make_message(message_id=MID, subject="Invoice is wrong")])

    def announce_keywords(line: bytes) -> bytes:
        return line.replace(b"[PERMANENTFLAGS (", b"[PERMANENTFLAGS (\\* ", 1)

    with RewriteProxy(dovecot.imap_port, announce_keywords) as liar:
        with client(dovecot) as imap:
            info = imap.select_folder("INBOX")
        assert b"\\*" not in info[b"PERMANENTFLAGS"]
        real_port = f"imap_port = {dovecot.imap_port}\n"
        alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
        for mate in (alice, bob):
            text = (
                (mate.home / "config" / "config.toml")
                .read_text()
                .replace(real_port, f"imap_port = {liar.port}\n")
            )
            (mate.home / "config" / "config.toml").write_text(text)
            with mate.active():
                mate.config = load_config()
                mate.name, mate.account = mate.config.account()
            mate.db.conn.execute("DELETE FROM meta WHERE key LIKE 'team_mode%'")
        cid = alice.conversation_of(MID)
        result = team_actions.claim(alice.ctx(), cid)
        assert result.online
        bob.sync()
        assert bob.queue_row(cid)[0] == "alice"
        status = bob.cli(capsys, "team", "status")
    assert "the folder 'Support State'" in status.out
    assert "announces custom keywords in INBOX but did not keep one that was set" in status.out
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        assert not any(f.startswith(b"$si-") for f in imap.get_flags([1])[1])


def test_the_config_can_send_team_state_to_the_folder(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, [make_message(message_id=MID)])
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"), extra='team_state = "folder"')
    cid = alice.conversation_of(MID)
    team_actions.claim(alice.ctx(), cid)
    bob.sync()
    assert bob.queue_row(cid)[0] == "alice"
    status = bob.cli(capsys, "team", "status")
    assert 'team_state = "folder" in the config' in status.out
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        assert not any(f.startswith(b"$si-") for f in imap.get_flags([1])[1])
