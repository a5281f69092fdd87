"""The team's folders as another mail client sharing the mailbox sees them."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.team.statefolder import STATE_FOLDER
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.team import make_team

pytestmark = [pytest.mark.server]

MID = "<seen@customer.test>"


@pytest.mark.parametrize("mode", ["keywords", "folder"])
def test_team_state_and_notes_never_show_as_new_mail_elsewhere(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    append(dovecot, [make_message(message_id=MID, subject="Refund for double charge")])
    extra = 'team_state = "folder"' if mode == "folder" else ""
    alice, bob = make_team(tmp_path, dovecot, None, agents=("alice", "bob"), extra=extra)
    cid = alice.conversation_of(MID)
    for mate, args in (
        (alice, ("claim", cid)),
        (alice, ("assign", cid, "bob", "--note", "billing")),
        (bob, ("status", cid, "pending")),
        (bob, ("snooze", cid, "--for", "1h")),
        (bob, ("tag", cid, "+billing")),
        (bob, ("followup", cid, "--in", "2d", "--note", "invoice")),
        (bob, ("note", cid, "called them")),
    ):
        done = mate.cli(capsys, *args)
        assert done.code == 0, (args, done.err)
        mate.sync()

    with client(dovecot) as imap:
        folders = [name for _, _, name in imap.list_folders() if name not in ("INBOX", "Sent", "Junk")]
        assert STATE_FOLDER in folders  # agent registry, details and tags live there in every mode
        for folder in folders:
            imap.select_folder(folder, readonly=True)
            assert imap.search(["ALL"]), folder
            assert imap.search(["UNSEEN"]) == [], folder
