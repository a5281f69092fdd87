"""Merge and split between teammates on a real Dovecot: through the state folder, with the
team state carried, offline, and after a cache rebuild or on a fresh client."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.store import conversations as cv
from supportinbox.store.db import open_database
from supportinbox.store.rebuild import rebuild_cache
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import Teammate, make_team, state_entries, team_flags

pytestmark = [pytest.mark.server]

LOGIN, INVOICE = "<login@customer.test>", "<invoice@customer.test>"
Q1, Q2 = "<export-1@customer.test>", "<export-2@customer.test>"


def _mailbox(dovecot: Dovecot) -> None:
    now = datetime.now(UTC)
    append(
        dovecot,
        [
            make_message(message_id=LOGIN, subject="Cannot log in", date=now - timedelta(days=2)),
            make_message(message_id=INVOICE, subject="Invoice for November", date=now - timedelta(hours=3)),
            make_message(
                sender="Omar Farouk <omar@example.test>",
                message_id=Q1,
                subject="Export to CSV",
                date=now - timedelta(hours=5),
            ),
            make_message(
                sender="Omar Farouk <omar@example.test>",
                message_id=Q2,
                in_reply_to=Q1,
                references=Q1,
                subject="Re: Export to CSV",
                body="Export works. Another thing: can I change my invoice address?",
                date=now - timedelta(hours=1),
            ),
        ],
    )


def _entries(dovecot: Dovecot) -> list[dict[str, object]]:
    return state_entries(dovecot, ("merge", "split"))


def _check_merged(mate: Teammate, login: str, invoice: str) -> None:
    assert mate.conversation_of(INVOICE) == mate.conversation_of(LOGIN) == login, mate.agent
    detail = cv.get_conversation(mate.db, login)
    assert [m.message_id for m in detail.messages] == [LOGIN, INVOICE], mate.agent
    summary = detail.summary
    assert (summary.assigned_to, summary.status) == ("bob", "pending"), mate.agent
    assert summary.tags == ("billing",), mate.agent
    assert summary.followup_at is not None, mate.agent
    assert [n.body for n in detail.notes] == ["Wants a PDF copy"], mate.agent
    assert mate.db.conn.execute("SELECT 1 FROM conversations WHERE id = ?", (invoice,)).fetchone() is None


def test_a_merge_and_a_split_reach_teammates_with_the_team_state(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _mailbox(dovecot)
    alice, bob = make_team(tmp_path, dovecot, smtp_server, ("alice", "bob"))
    login, invoice, export = (alice.conversation_of(m) for m in (LOGIN, INVOICE, Q1))
    assert alice.conversation_of(Q2) == export
    for args in (
        ("claim", invoice),
        ("note", invoice, "Wants a PDF copy"),
        ("tag", invoice, "+billing"),
        ("followup", invoice, "--in", "3d"),
        ("status", invoice, "pending"),
    ):
        done = bob.cli(capsys, *args)
        assert done.code == 0, (args, done.err)
    alice.sync()

    merged = alice.cli(capsys, "merge", login, invoice)
    assert merged.code == 0, merged.err
    assert f"merged {invoice} into {login} (shared with the team)" in merged.out
    (entry,) = _entries(dovecot)
    assert (entry["kind"], entry["conversation"], entry["target"], entry["author"]) == (
        "merge",
        invoice,
        login,
        "alice",
    )
    assert (entry["message"], entry["into"]) == (INVOICE, LOGIN)
    _check_merged(alice, login, invoice)
    # The claim and status carried are written on every message of the merged conversation,
    # so a later split leaves both parts with them.
    for message_id in (LOGIN, INVOICE):
        assert {"holder:bob", "$si-status-pending"} <= team_flags(dovecot, message_id), message_id

    hook = bob.sync()
    merged = f"{invoice} (Lina Haddad: Invoice for November): alice merged it into {login}"
    assert merged in [e.text for e in hook.events]
    _check_merged(bob, login, invoice)
    # Told once: the follow-up shared under the merged-away id is no news at the next sync.
    assert [e.text for e in bob.sync().events] == []
    gone = bob.cli(capsys, "show", invoice)
    assert gone.code == 8 and f"was merged into {login}" in gone.err

    split = bob.cli(capsys, "split", export, "--from", "2", "--json")
    assert split.code == 0, split.err
    new = json.loads(split.out)["conversation"]
    assert bob.conversation_of(Q2) == new != export
    events = [e.text for e in alice.sync().events]
    assert events == [f"{export} (Omar Farouk: Export to CSV): bob split {new} off it"]
    assert alice.conversation_of(Q2) == new and alice.conversation_of(Q1) == export

    # A client that starts from nothing (a new teammate, or a lost cache) gets both from the server.
    (carol,) = make_team(tmp_path, dovecot, smtp_server, ("carol",))
    _check_merged(carol, login, invoice)
    # Told again from the start, a note shared before the merge names the conversation it is in now.
    carol.db.close()
    with carol.active():
        rebuild_cache(carol.name)
        carol.db = open_database(account=carol.name)
    told = [e.text for e in carol.sync().events]
    assert not any(invoice in t for t in told if "merged it into" not in t), told
    assert [e.text for e in carol.sync().events] == []
    assert carol.conversation_of(Q2) == new and carol.conversation_of(Q1) == export
    listed = json.loads(carol.cli(capsys, "list", "--status", "all", "--json").out)
    assert sorted(r["id"] for r in listed) == sorted([login, export, new])

    # A rebuild of bob's cache: the same conversations after the next sync.
    bob.db.close()
    with bob.active():
        rebuild_cache(bob.name)
        bob.db = open_database(account=bob.name)
    bob.sync()
    _check_merged(bob, login, invoice)
    assert bob.conversation_of(Q2) == new
    assert [e.text for e in bob.sync().events] == []
    assert len(_entries(dovecot)) == 2  # nothing shared twice
    assert smtp_server.received == []


def test_a_merge_made_offline_is_shared_by_the_next_sync(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    _mailbox(dovecot)
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    login, invoice = alice.conversation_of(LOGIN), alice.conversation_of(INVOICE)
    online = alice.account
    alice.account = online.model_copy(update={"imap_port": 1})
    from supportinbox.app.context import AccountContext
    from supportinbox.app.merge import merge

    with alice.active():
        result = merge(AccountContext(alice.db, alice.config, alice.name, alice.account), [login, invoice])
    assert not result.online and "not shared yet (server unreachable)" in result.message
    assert alice.conversation_of(INVOICE) == login  # here at once
    assert _entries(dovecot) == []
    bob.sync()
    assert bob.conversation_of(INVOICE) == invoice
    alice.account = online
    alice.sync()
    assert len(_entries(dovecot)) == 1
    bob.sync()
    assert bob.conversation_of(INVOICE) == login


def test_a_merge_carries_the_claim_where_team_state_lives_in_the_folder(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    _mailbox(dovecot)
    alice, bob, carol = make_team(tmp_path, dovecot, None, extra='team_state = "folder"')
    login, invoice = alice.conversation_of(LOGIN), alice.conversation_of(INVOICE)
    assert bob.cli(capsys, "claim", invoice).code == 0
    assert bob.cli(capsys, "status", invoice, "pending").code == 0
    alice.sync()
    merged = alice.cli(capsys, "merge", login, invoice)
    assert merged.code == 0 and "(shared with the team)" in merged.out, merged.err
    for mate in (alice, bob, carol, alice):
        mate.sync()
        assert mate.conversation_of(INVOICE) == login, mate.agent
        assert mate.queue_row(login) == ("bob", "pending"), mate.agent
