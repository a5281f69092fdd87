"""A partial refresh (only the conversations a change touches) keeps what the team added to
them: tags, a follow-up still to come, and the hand-over count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from supportinbox.config import parse_config
from supportinbox.domain.tags import TagChange
from supportinbox.store import conversations as cv
from supportinbox.store import triage_incremental
from supportinbox.store.db import Database, open_database
from supportinbox.store.followups import set_followup
from supportinbox.store.handovers import recount
from supportinbox.store.tags import change_tags
from supportinbox.team import notes
from tests.store.factories import NOW, OFFLINE_ACCOUNT_CONFIG, add_message


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "cache.sqlite3")
    yield database
    database.close()


def test_a_partial_refresh_keeps_tags_follow_ups_and_hand_overs(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = parse_config(OFFLINE_ACCOUNT_CONFIG)
    account = config.account()[1]
    add_message(db, message_id="<p1@customer.test>", subject="Invoice", when=NOW - timedelta(hours=3))
    add_message(
        db,
        message_id="<o1@other.test>",
        sender="omar@other.test",
        subject="Other",
        when=NOW - timedelta(hours=2),
    )
    cv.refresh_conversations(db, config, account, now=NOW)
    cid = str(
        db.conn.execute(
            "SELECT conversation_id FROM messages WHERE message_id = '<p1@customer.test>'"
        ).fetchone()[0]
    )
    change_tags(db, cid, TagChange(("billing",)), agent="alice", now=NOW)
    set_followup(db, cid, NOW + timedelta(days=3), "check the refund", agent="alice", now=NOW)
    with db.transaction() as tx:
        notes.add_local_note(tx, account, cid, "Handed over to bob by alice")
    recount(db, [cid])

    partial: list[bool] = []
    real = triage_incremental.refresh_changed

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        outcome = real(*args, **kwargs)
        partial.append(outcome is not None)
        return outcome

    monkeypatch.setattr(triage_incremental, "refresh_changed", counted)
    # Our reply to it arrives: the conversation is recomputed, the other one is not.
    add_message(
        db,
        folder="Sent",
        message_id="<a1@acme.test>",
        in_reply_to="<p1@customer.test>",
        sender="support@acme.test",
        to=("lina@customer.test",),
        subject="Re: Invoice",
        when=NOW - timedelta(hours=1),
    )
    cv.refresh_conversations(db, config, account, now=NOW)
    assert partial == [True]
    row = cv.get_conversation(db, cid, NOW).summary
    assert row.tags == ("billing",)
    assert row.followup_at is not None and row.followup_at.startswith(str((NOW + timedelta(days=3)).date()))
    assert "handed over once" in row.reasons
