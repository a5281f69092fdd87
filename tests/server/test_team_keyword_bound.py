"""The keyword scheme stays within a fixed, small set whatever the history of the mailbox.

1,000 random team changes (claims, releases, hand-overs, statuses, snoozes to random
times) by three agents on their own connections and caches, on one real server. The
mailbox's keyword list (SELECT's FLAGS, which servers grow and rarely shrink) and the
keywords on its messages must never exceed 20, and the teammates must agree afterwards.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imapclient import IMAPClient

from supportinbox.mail.imap import connect, logout
from supportinbox.team.keywords import ALL_KEYWORDS
from supportinbox.team.server import Change, KeywordServer, TeamConflict, open_team_server
from supportinbox.team.statefolder import COMPACT_AFTER, STATE_FOLDER
from supportinbox.team.store import conversation_ref
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.team import Teammate, make_team, server_registry

pytestmark = [pytest.mark.server, pytest.mark.both_servers]

CHANGES = 1_000
LIMIT = 20
AGENT_POOL = ("alice", "bob", "carol", "Zoë", "علی")


def _mailbox_keywords(imap: IMAPClient) -> tuple[set[str], set[str]]:
    """(keywords the mailbox has defined, keywords on its messages), ``$si-`` and foreign alike."""
    info = imap.select_folder("INBOX", readonly=True)
    defined = {bytes(f).decode() for f in info[b"FLAGS"] if not bytes(f).startswith(b"\\")}
    uids = imap.search(["ALL"])
    used = {
        bytes(f).decode()
        for flags in imap.get_flags(uids).values()
        for f in flags
        if not bytes(f).startswith(b"\\")
    }
    return defined, used


def _conversations(dovecot: Dovecot) -> list[str]:
    """20 conversations, a third of them with a follow-up (state on several messages)."""
    raws, ids = [], []
    start = datetime.now(UTC) - timedelta(days=2)
    for index in range(20):
        mid = f"<q{index}@customer.test>"
        ids.append(mid)
        when = start + timedelta(minutes=index)
        raws.append(make_message(message_id=mid, subject=f"Question {index}", date=when))
        if index % 3 == 0:
            raws.append(
                make_message(
                    message_id=f"<q{index}-again@customer.test>",
                    subject=f"Re: Question {index}",
                    in_reply_to=mid,
                    references=mid,
                    date=when + timedelta(hours=1),
                )
            )
    append(dovecot, raws)
    return ids


def _random_change(rng: random.Random, me: str) -> Change:
    kind = rng.choice(["claim", "release", "assign", "status", "status", "snooze", "clear"])
    if kind == "claim":
        return Change(assigned_to=me, sets_claim=True, expect_holder=(None, me))
    if kind == "release":
        return Change(assigned_to=None, sets_claim=True)
    if kind == "assign":
        return Change(assigned_to=rng.choice(AGENT_POOL), sets_claim=True)
    if kind == "snooze":
        until = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(500_000))
        return Change(status="snoozed", snoozed_until=until.isoformat(), sets_status=True)
    if kind == "clear":
        return Change(status=None, sets_status=True)
    return Change(status=rng.choice(["open", "pending", "closed"]), sets_status=True)


def test_a_thousand_random_team_changes_stay_within_twenty_keywords(tmp_path: Path, dovecot: Dovecot) -> None:
    message_ids = _conversations(dovecot)
    team = make_team(tmp_path, dovecot, None)
    refs = [conversation_ref(team[0].db.conn, team[0].conversation_of(mid)) for mid in message_ids]
    servers: dict[str, tuple[Teammate, IMAPClient, KeywordServer]] = {}
    for mate in team:
        imap = connect(mate.name, mate.account)
        server = open_team_server(imap, mate.db, mate.account, "INBOX")
        assert isinstance(server, KeywordServer)
        servers[mate.agent] = (mate, imap, server)
    rng = random.Random(16)
    conflicts = 0
    most = 0
    try:
        with client(dovecot) as observer:
            for step in range(1, CHANGES + 1):
                mate, _imap, server = servers[rng.choice(list(servers))]
                ref = rng.choice(refs)
                try:
                    server.write(ref, _random_change(rng, mate.agent), mate.agent)
                except TeamConflict:
                    conflicts += 1
                if step % 50 == 0:
                    defined, used = _mailbox_keywords(observer)
                    most = max(most, len(defined))
                    assert len(defined) <= LIMIT, f"after {step} changes: {sorted(defined)}"
                    assert used <= {k.lower() for k in ALL_KEYWORDS} | {k for k in ALL_KEYWORDS}
            defined, used = _mailbox_keywords(observer)
    finally:
        for _mate, imap, _server in servers.values():
            logout(imap)
    assert len(defined) <= LIMIT and len(used) <= LIMIT
    assert {k.lower() for k in defined} <= {k.lower() for k in ALL_KEYWORDS}
    # Claims of a held conversation were refused along the way, so the check was exercised.
    assert conflicts > 0 and most > 5
    # Every teammate reads the same state after a sync.
    for mate in team:
        mate.sync()
    views = [
        {
            ref.id: mate.db.conn.execute(
                "SELECT status, snoozed_until, assigned_to FROM conversation_state WHERE conversation_id = ?",
                (ref.id,),
            ).fetchone()
            for ref in refs
        }
        for mate in team
    ]
    as_tuples = [{cid: tuple(row) if row else None for cid, row in view.items()} for view in views]
    assert as_tuples[0] == as_tuples[1] == as_tuples[2]


def test_slots_run_out_with_a_clear_line_and_forget_gives_one_back(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    (mid,) = _conversations(dovecot)[:1]
    (alice,) = make_team(tmp_path, dovecot, None, ("alice",))
    cid = alice.conversation_of(mid)
    for n in range(1, 13):
        assert alice.cli(capsys, "assign", cid, f"agent{n}").code == 0
    full = alice.cli(capsys, "assign", cid, "newcomer")
    assert full.code != 0 and "Traceback" not in full.err
    assert "all 12 team slots of this mailbox are taken" in full.err and "team forget" in full.err
    assert len(full.err.strip().splitlines()) == 1
    assert server_registry(dovecot)[12] == "agent12"  # who holds it now
    freed = alice.cli(capsys, "team", "forget", "agent12")
    assert (
        freed.code == 0 and "slot is free again" in freed.out and "from 2 message(s)" in freed.out
    )  # the question and its follow-up
    assert 12 not in server_registry(dovecot)
    alice.sync()
    assert alice.queue_row(cid)[0] is None  # the claim of the one who left is gone
    assert alice.cli(capsys, "assign", cid, "newcomer").code == 0
    assert server_registry(dovecot)[12] == "newcomer"
    assert alice.cli(capsys, "team", "forget", "nobody").code == 8


def test_the_state_folder_does_not_grow_with_every_status_change(tmp_path: Path, dovecot: Dovecot) -> None:
    """Each status change adds a detail; superseded ones are removed, and a newcomer still
    reads who set the status, when, and until when it is snoozed."""
    (mid,) = _conversations(dovecot)[:1]
    (alice,) = make_team(tmp_path, dovecot, None, ("alice",))
    ref = conversation_ref(alice.db.conn, alice.conversation_of(mid))
    imap = connect(alice.name, alice.account)
    try:
        server = open_team_server(imap, alice.db, alice.account, "INBOX")
        for n in range(COMPACT_AFTER + 20):
            status = ("open", "pending", "closed")[n % 3]
            server.write(ref, Change(status=status, sets_status=True), "alice")
        until = "2099-01-15T09:00:00+00:00"
        server.write(ref, Change(status="snoozed", snoozed_until=until, sets_status=True), "alice")
    finally:
        logout(imap)
    with client(dovecot) as observer:
        observer.select_folder(STATE_FOLDER, readonly=True)
        before = len(observer.search(["ALL"]))
    alice.sync()
    with client(dovecot) as observer:
        observer.select_folder(STATE_FOLDER, readonly=True)
        after = len(observer.search(["ALL"]))
    # The newest of open, pending, closed, snoozed, and alice's announcement of herself.
    assert before > COMPACT_AFTER and after <= 4 + 1
    (bob,) = make_team(tmp_path, dovecot, None, ("bob",))
    row = bob.db.conn.execute(
        "SELECT status, snoozed_until, updated_by FROM conversation_state WHERE conversation_id = ?",
        (ref.id,),
    ).fetchone()
    assert tuple(row) == ("snoozed", until, "alice")
