"""A cache rebuild that stops after it shared what was made here, then tried again (real Dovecot).

The rebuild's fetch shares the follow-ups, tag changes and merges kept from the old cache
before it can fail (a full disk while the queue is sorted, a kill): the old cache, left in
use, still holds them as not shared. The next sync or rebuild must not share them a second
time: a second copy of an old change would replay over a teammate's newer one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.app import sync as app_sync
from supportinbox.app import tags as tag_use
from supportinbox.app.followups import set_followup
from supportinbox.app.merge import merge
from supportinbox.domain.tags import TagChange
from supportinbox.errors import StorageError
from supportinbox.store import conversations as cv
from supportinbox.store.db import open_database
from supportinbox.store.followups import list_active
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.team import make_team, state_entries

pytestmark = [pytest.mark.server]

CHARGED, LOGIN, INVOICE = "<charged@customer.test>", "<login@customer.test>", "<invoice@customer.test>"


def _disk_full(*_args: object, **_kwargs: object) -> None:
    raise StorageError("the disk holding the cache is full: free some space")


@pytest.mark.parametrize("retry", ["sync", "rebuild"])
def test_a_rebuild_stopped_after_sharing_shares_nothing_twice(
    tmp_path: Path,
    dovecot: Dovecot,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    retry: str,
) -> None:
    now = datetime.now(UTC)
    append(
        dovecot,
        [
            make_message(message_id=CHARGED, subject="Charged twice", date=now - timedelta(hours=4)),
            make_message(
                sender="Omar Farouk <omar@example.test>",
                message_id=LOGIN,
                subject="Cannot log in",
                date=now - timedelta(hours=3),
            ),
            make_message(
                sender="Omar Farouk <omar@example.test>",
                message_id=INVOICE,
                subject="Invoice for November",
                date=now - timedelta(hours=2),
            ),
        ],
    )
    alice, bob = make_team(tmp_path, dovecot, None, ("alice", "bob"))
    cid, login, invoice = (alice.conversation_of(m) for m in (CHARGED, LOGIN, INVOICE))
    offline = alice.ctx(alice.account.model_copy(update={"imap_port": 1}))
    with alice.active():
        assert not tag_use.tag(offline, cid, TagChange(("billing",))).online
        assert not set_followup(offline, cid, now + timedelta(days=2), "call back").online
        assert not merge(offline, [login, invoice]).online

    with monkeypatch.context() as patch:
        patch.setattr(app_sync, "refresh_queue", _disk_full)
        stopped = alice.cli(capsys, "cache", "rebuild", "--yes")
    assert stopped.code != 0 and "the rebuild stopped" in stopped.err, stopped
    shared = state_entries(dovecot, ("tags", "followup", "merge"))
    assert sorted(str(e["kind"]) for e in shared) == ["followup", "merge", "tags"]

    if retry == "sync":
        alice.sync()
    else:
        again = alice.cli(capsys, "cache", "rebuild", "--yes")
        assert again.code == 0, again.err
        alice.db.close()
        with alice.active():
            alice.db = open_database(account=alice.name)
        alice.sync()
    assert state_entries(dovecot, ("tags", "followup", "merge")) == shared
    bob.sync()
    for mate in (alice, bob):
        assert cv.get_conversation(mate.db, cid).summary.tags == ("billing",), mate.agent
        assert [r.reason for r in list_active(mate.db)] == ["follow-up due: call back"], mate.agent
        assert mate.conversation_of(INVOICE) == login, mate.agent
    assert [e.text for e in alice.sync().events] == []
