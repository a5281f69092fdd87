"""The look for old-scheme team keywords runs when cached mail changed, not on every sync.

It reads every cached inbox message; a sync that found nothing new skips it, and an old
client's keyword arriving later is still found and rewritten.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.team.keywords import is_legacy_keyword
from supportinbox.team.server import KeywordServer
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.team import make_team, team_flags

pytestmark = [pytest.mark.server]

QUESTION = "<question@customer.test>"


def test_the_old_keyword_look_follows_changes_to_the_cache(
    tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    append(dovecot, [make_message(message_id=QUESTION, subject="Export fails")])
    (bob,) = make_team(tmp_path, dovecot, None, ("bob",))
    looks: list[bool] = []
    migrate = KeywordServer.migrate_legacy

    def counted(self: KeywordServer) -> bool:
        looks.append(migrate(self))
        return looks[-1]

    monkeypatch.setattr(KeywordServer, "migrate_legacy", counted)
    bob.sync()
    assert looks == []  # nothing changed since the sync in make_team: no look

    with client(dovecot) as imap:
        imap.select_folder("INBOX")
        (uid,) = imap.search(["HEADER", "Message-ID", QUESTION.strip("<>")])
        imap.add_flags([uid], ["$si-status-closed", "$si-by-carol"])  # an old client's state
    bob.sync()
    assert looks == [True]
    assert not any(is_legacy_keyword(k) for k in team_flags(dovecot, QUESTION))
    assert bob.queue_row(bob.conversation_of(QUESTION))[1] == "closed"

    bob.sync()
    assert looks == [True]  # rewritten, and nothing changed since
