"""Courier IMAP: sync, team state as keywords, and the state-folder fallback.

Courier's imapd (the real program, behind the harness's login front) keeps personal
folders under ``INBOX.`` with ``.`` as separator, has neither CONDSTORE nor MOVE, and
with ``IMAP_KEYWORDS=0`` refuses custom keywords.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.app import team_actions
from supportinbox.store.conversations import set_status
from supportinbox.sync.engine import SyncEngine
from tests.harness.accounts import cached, imap_account, open_cache
from tests.harness.courier import Courier
from tests.harness.dovecot import make_root
from tests.harness.mail import append, client, make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer
from tests.harness.team import make_team

pytestmark = pytest.mark.server

MID = "<order@customer.test>"


def _courier(keywords: bool) -> Iterator[Courier]:
    root = make_root()
    server = Courier(root, keywords=keywords)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def courier() -> Iterator[Courier]:
    yield from _courier(keywords=True)


@pytest.fixture
def courier_without_keywords() -> Iterator[Courier]:
    yield from _courier(keywords=False)


def test_sync_finds_courier_folders_and_changes_without_condstore(courier: Courier) -> None:
    append(courier, [make_message(subject=f"m{i}") for i in range(4)])
    append(courier, [make_message(subject="cheap pills")], folder="INBOX.Junk")
    db = open_cache()
    account = imap_account(courier)
    first = SyncEngine(db, "support", account, password="secret").run()
    assert {f.name for f in first.folders} == {"INBOX", "INBOX.Junk", "INBOX.Sent"}
    assert len(cached(db)) == 4 and len(cached(db, "INBOX.Junk")) == 1
    with client(courier) as imap:
        assert b"CONDSTORE" not in imap.capabilities()
        imap.select_folder("INBOX")
        imap.add_flags([2], [b"\\Answered"])
        imap.delete_messages([1])
        imap.expunge()
    append(courier, [make_message(subject="new")])
    SyncEngine(db, "support", account, password="secret").run()
    now = cached(db)
    assert sorted(now) == [2, 3, 4, 5] and "\\Answered" in now[2]


def test_team_state_travels_as_keywords_and_our_folders_go_under_inbox(
    tmp_path: Path, courier: Courier, capsys: pytest.CaptureFixture[str]
) -> None:
    append(courier, [make_message(message_id=MID, subject="Where is my order")])
    alice, bob = make_team(tmp_path, courier, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    team_actions.claim(alice.ctx(), cid)
    set_status(alice.db, cid, "pending", agent="alice")
    team_actions.push_state(alice.ctx(), cid)
    team_actions.add_note(alice.ctx(), cid, "asked the warehouse")
    bob.sync()
    assert bob.queue_row(cid) == ("alice", "pending")
    assert bob.db.conn.execute("SELECT body FROM notes").fetchone()[0] == "asked the warehouse"
    with client(courier) as imap:
        imap.select_folder("INBOX", readonly=True)
        assert {b"$si-state", b"$si-status-pending", b"$si-holder-1"} <= set(imap.get_flags([1])[1])
        names = {name for _flags, _sep, name in imap.list_folders()}
    # Courier refuses folders outside INBOX.: ours follow its namespace.
    assert {"INBOX.Support State", "INBOX.Support Notes"} <= names
    assert "IMAP keywords" in bob.cli(capsys, "team", "status").out


def test_a_courier_without_keywords_falls_back_to_the_state_folder(
    tmp_path: Path, courier_without_keywords: Courier, capsys: pytest.CaptureFixture[str]
) -> None:
    server = courier_without_keywords
    append(server, [make_message(message_id=MID, subject="Where is my order")])
    with client(server) as imap:
        assert b"\\*" not in imap.select_folder("INBOX")[b"PERMANENTFLAGS"]
    alice, bob = make_team(tmp_path, server, None, ("alice", "bob"))
    cid = alice.conversation_of(MID)
    assert team_actions.claim(alice.ctx(), cid).online
    set_status(alice.db, cid, "closed", agent="alice")
    team_actions.push_state(alice.ctx(), cid)
    bob.sync()
    assert bob.queue_row(cid) == ("alice", "closed")
    status = bob.cli(capsys, "team", "status").out
    assert "refuses custom keywords" in status and "PERMANENTFLAGS lack" in status
    with client(server) as imap:
        imap.select_folder("INBOX.Support State", readonly=True)
        fetched = imap.fetch(imap.search(["ALL"]), ["BODY.PEEK[HEADER.FIELDS (X-SUPPORTINBOX-STATE)]"])
        # The key Courier answers under spells the field as it likes: the one header there is.
        keys = sorted(
            next(v for k, v in data.items() if k.startswith(b"BODY[")).decode().partition(":")[2].strip()
            for data in fetched.values()
        )
    # Alice's claim and close, and each agent announcing itself at its first sync.
    assert keys == sorted([cid, cid, "agents", "agents"])


def test_a_reply_is_filed_in_courier_sent(
    supportinbox_home: Path, courier: Courier, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, courier, smtp_server, [make_message(message_id=MID)])
    cid = setup.conversation_of(MID)
    sent = run_cli(capsys, "reply", cid, "-t", "acknowledge-investigating", "--send", "--yes")
    assert sent.code == 0, sent.err
    assert len(smtp_server.received) == 1
    with client(courier) as imap:
        # Courier refuses an APPEND to a folder selected read-only: the filing step closes it.
        imap.select_folder("INBOX.Sent", readonly=True)
        assert len(imap.search(["ALL"])) == 1
        imap.select_folder("INBOX", readonly=True)
        assert b"\\Answered" in imap.get_flags([1])[1]
