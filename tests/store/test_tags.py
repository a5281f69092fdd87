"""Tags in the cache: change, list --tag, tag:, survive a refresh; the tag and tags commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.domain.tags import TagChange
from supportinbox.errors import UserError
from supportinbox.store import conversations as cv
from supportinbox.store.db import Database, open_database
from supportinbox.store.tags import change_tags, current_tags, tag_counts
from tests.conftest import write_config
from tests.harness.replies import run_cli
from tests.store.factories import NOW, OFFLINE_ACCOUNT_CONFIG, add_message, at


def _mailbox(db: Database) -> tuple[str, str]:
    add_message(db, message_id="<a@c>", subject="Charged twice", when=at(3))
    add_message(db, message_id="<b@c>", sender="omar@c.test", subject="App crashes", when=at(2))
    config = load_config()
    cv.refresh_conversations(db, config, config.account()[1], now=NOW)
    ids = dict(db.conn.execute("SELECT message_id, conversation_id FROM messages").fetchall())
    return str(ids["<a@c>"]), str(ids["<b@c>"])


def test_tags_filter_the_queue_and_search_and_survive_a_refresh(supportinbox_home: Path) -> None:
    write_config(supportinbox_home, OFFLINE_ACCOUNT_CONFIG)
    with open_database(account="support") as db:
        billing, crash = _mailbox(db)
        assert change_tags(db, billing, TagChange(("billing", "refund")), agent="alice") == [
            "billing",
            "refund",
        ]
        change_tags(db, crash, TagChange(("bug",)), agent="alice")
        change_tags(db, billing, TagChange(remove=("refund",)), agent="alice")
        assert [c.id for c in cv.list_queue(db, tag="billing", now=NOW)] == [billing]
        assert [c.id for c in cv.search(db, "tag:bug", now=NOW)] == [crash]
        assert cv.search(db, "tag:billing from:omar", now=NOW) == []
        with pytest.raises(UserError, match="a tag is one word"):
            cv.search(db, "tag:[b]", now=NOW)
        config = load_config()
        cv.refresh_conversations(db, config, config.account()[1], now=NOW)
        (row,) = cv.list_queue(db, tag="billing", now=NOW)
        assert row.tags == ("billing",) and row.to_json()["tags"] == ["billing"]
        assert tag_counts(db) == [("billing", 1), ("bug", 1)]
        pending = db.conn.execute("SELECT COUNT(*) FROM tag_changes WHERE uploaded = 0").fetchone()[0]
        assert pending == 3  # offline: every change waits for the next sync
        assert current_tags(db.conn, billing) == ["billing"]


def test_tag_and_tags_commands(supportinbox_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(supportinbox_home, OFFLINE_ACCOUNT_CONFIG)
    with open_database(account="support") as db:
        billing, _ = _mailbox(db)
    done = run_cli(capsys, "tag", billing, "+billing", "urgent-ish", "-nothing")
    assert done.code == 0, done.err
    assert f"{billing} tags: billing urgent-ish" in done.out and "the next sync shares it" in done.out
    wrong = run_cli(capsys, "tag", billing, "+two words")
    assert wrong.code != 0 and "is not a tag" in wrong.err
    listed = run_cli(capsys, "tags", "--json")
    assert json.loads(listed.out) == [
        {"tag": "billing", "conversations": 1},
        {"tag": "urgent-ish", "conversations": 1},
    ]
    filtered = run_cli(capsys, "list", "--tag", "Billing", "--json")
    assert [r["id"] for r in json.loads(filtered.out)] == [billing]
    shown = run_cli(capsys, "show", billing)
    assert "tags billing urgent-ish" in shown.out
