"""The hidden state folder deleted by another mail client: the team's state survives it."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.app import team_actions
from supportinbox.store.db import Database
from supportinbox.team.statefolder import STATE_FOLDER
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.team import make_team, server_registry, team_flags

pytestmark = [pytest.mark.server, pytest.mark.both_servers]

HELD, SNOOZED = "<held@customer.test>", "<snoozed@customer.test>"


def _snooze_and_tags(db: Database, cid: str) -> tuple[str, str | None, str]:
    row = db.conn.execute(
        "SELECT status, snoozed_until, tags FROM conversations WHERE id = ?", (cid,)
    ).fetchone()
    return str(row[0]), row[1], str(row[2])


@pytest.mark.parametrize("mode", ["keywords", "folder"])
def test_a_deleted_state_folder_keeps_every_claim_snooze_and_tag(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    append(
        dovecot,
        [
            make_message(message_id=HELD, subject="Cannot log in"),
            make_message(message_id=SNOOZED, subject="Invoice address", sender="Sven <sven@nordic.test>"),
        ],
    )
    extra = f'team_state = "{mode}"'
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"), extra=extra)
    held, snoozed = alice.conversation_of(HELD), alice.conversation_of(SNOOZED)
    team_actions.claim(bob.ctx(), held)
    assert alice.cli(capsys, "snooze", snoozed, "--for", "3d").code == 0
    assert alice.cli(capsys, "tag", snoozed, "+billing").code == 0
    bob.sync()
    before = {mate.agent: _snooze_and_tags(mate.db, snoozed) for mate in (alice, bob)}
    assert all(status == "snoozed" and until and tags == "billing" for status, until, tags in before.values())
    assert bob.queue_row(held)[0] == "bob"

    with client(dovecot) as imap:  # another mail client deletes the folder
        imap.delete_folder(STATE_FOLDER)
    alice.cli(capsys, "snooze", held, "--for", "1h")  # a change makes the folder again
    alice.sync()
    bob.sync()

    if mode == "keywords":  # the folder mode keeps the claim in the folder, no slots
        assert server_registry(dovecot) == {1: "bob"}
        assert "holder:bob" in team_flags(dovecot, HELD)
    for mate in (alice, bob):
        assert mate.queue_row(held) == ("bob", "snoozed"), mate.agent
        assert _snooze_and_tags(mate.db, snoozed) == before[mate.agent], mate.agent
