"""An incident closed by hand on one teammate's copy is closed on every copy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportinbox.app import incidents as incidents_use
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, sso_outage
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
