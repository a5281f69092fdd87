"""An incident closed by hand on one teammate's copy is closed on every copy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportinbox.app import incidents as incidents_use
from supportinbox.team import marks, statefolder
from supportinbox.team.statefolder import STATE_FOLDER, STATE_HEADER
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, sso_outage, sso_report_in_german
from tests.harness.team import Teammate, make_team

pytestmark = [pytest.mark.server]


def _incidents(mate: Teammate, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    listed = mate.cli(capsys, "incident", "list", "--all", "--json")
    assert listed.code == 0, listed.err
    return {i["id"]: i["status"] for i in json.loads(listed.out)}


def test_an_incident_closed_by_one_teammate_is_closed_for_the_other(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, sso_outage(datetime.now(UTC)))
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    ((ident, status),) = _incidents(alice, capsys).items()
    assert status == "active" and _incidents(bob, capsys) == {ident: "active"}

    closed = alice.cli(capsys, "incident", "close", ident)
    assert closed.code == 0, closed.err
    assert closed.out.strip() == (
        f"incident {ident} closed (3 conversations keep their own urgency) (shared with the team)"
    )
    hook = bob.sync()
    assert _incidents(bob, capsys) == {ident: "closed"}
    assert [e.text for e in hook.events if e.kind == "incident"] == [
        f"alice closed incident {ident} (sso login)"
    ]
    assert bob.cli(capsys, "incident", "list").out.strip() == "No active incidents."
    again = bob.sync()  # told once
    assert [e for e in again.events if e.kind == "incident"] == []


def test_an_incident_closed_offline_is_shared_by_the_next_sync(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, sso_outage(datetime.now(UTC)))
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    ((ident, _),) = _incidents(alice, capsys).items()
    offline = alice.account.model_copy(update={"imap_port": 1})
    with alice.active():
        done = incidents_use.close(alice.ctx(offline), ident)
    assert not done.online and "not shared yet (server unreachable): the next sync shares it" in done.message
    assert _incidents(alice, capsys) == {ident: "closed"}
    bob.sync()
    assert _incidents(bob, capsys) == {ident: "active"}
    alice.sync()
    bob.sync()
    assert _incidents(bob, capsys) == {ident: "closed"}


def test_a_close_reaches_a_copy_that_named_the_incident_after_another_report(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    append(dovecot, [*sso_outage(now), sso_report_in_german(now)])
    (alice,) = make_team(tmp_path, dovecot, None, ("alice",))
    ((ident, _),) = _incidents(alice, capsys).items()
    # The first report is deleted on the server (by another mail client) before bob's first
    # sync: his copy names the same incident after its second report.
    with client(dovecot) as imap:
        imap.select_folder("INBOX")
        imap.delete_messages(imap.search(["HEADER", "Message-ID", "<inc0@c.test>"]))
        imap.expunge()
    (bob,) = make_team(tmp_path, dovecot, None, ("bob",))
    ((his, status),) = _incidents(bob, capsys).items()
    assert his != ident and status == "active"

    assert alice.cli(capsys, "incident", "close", ident).code == 0
    hook = bob.sync()
    assert _incidents(bob, capsys) == {his: "closed"}
    told = [e.text for e in hook.events if e.kind == "incident"]
    assert told == [f"alice closed incident {his} (sso login)"]


def test_an_incident_entry_without_members_still_closes_by_its_id(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str]
) -> None:
    """An entry written before closes named their reports."""
    append(dovecot, sso_outage(datetime.now(UTC)))
    (bob,) = make_team(tmp_path, dovecot, None, ("bob",))
    ((ident, _),) = _incidents(bob, capsys).items()
    payload = {"kind": "incident", "conversation": ident, "closed_at": "2026-12-01T10:00:00+00:00"}
    older = (
        f"From: alice@acme.test\r\nSubject: supportinbox state\r\n{STATE_HEADER}: {ident}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{json.dumps({**payload, 'author': 'alice'})}\r\n"
    ).encode()
    append(dovecot, [older], folder=STATE_FOLDER)
    bob.sync()
    assert _incidents(bob, capsys) == {ident: "closed"}


def test_a_copy_read_before_it_knew_incident_entries_reads_them_after_the_upgrade(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older reader passed over the close (a kind it did not know) and read past it."""
    append(dovecot, sso_outage(datetime.now(UTC)))
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    ((ident, _),) = _incidents(alice, capsys).items()
    assert alice.cli(capsys, "incident", "close", ident).code == 0

    kinds = statefolder._KINDS
    with monkeypatch.context() as older:
        older.setattr(statefolder, "_KINDS", tuple(k for k in kinds if k != statefolder.INCIDENT))
        bob.sync()
    bob.db.conn.execute("DELETE FROM meta WHERE key = ?", (marks.STATE_READING,))  # as it kept no reading
    assert _incidents(bob, capsys) == {ident: "active"}
    status = {"UIDVALIDITY": bob.db.get_meta(marks.STATE_VALIDITY), "UIDNEXT": 0}
    status["UIDNEXT"] = str(bob.db.get_meta(marks.STATE_UIDNEXT)).split("/")[1]
    assert not marks.state_log_current(bob.db, status)  # the quick sync does not answer for it

    hook = bob.sync()
    assert _incidents(bob, capsys) == {ident: "closed"}
    assert [e.text for e in hook.events if e.kind == "incident"] == [
        f"alice closed incident {ident} (sso login)"
    ]
    assert marks.state_log_current(bob.db, status)
    assert [e for e in bob.sync().events if e.kind == "incident"] == []
