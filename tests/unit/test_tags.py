"""Tags: what a tag may be, how +billing -bug reads, and replaying changes in order."""

from __future__ import annotations

import json

import pytest

from supportinbox.config import AccountConfig
from supportinbox.domain.tags import MAX_TAG_CHARS, TagChange, normalize_tag, parse_changes, replay
from supportinbox.errors import UserError
from supportinbox.team.statefolder import TAGS, build_tags_message, parse_state_message

ACCOUNT = AccountConfig(email="support@acme.test", username="support", imap_host="127.0.0.1", agent="alice")


@pytest.mark.parametrize(
    ("text", "tag"),
    [("Billing", "billing"), (" vip-renewal ", "vip-renewal"), ("فاتورة", "فاتورة"), ("Ｂｕｇ", "bug")],
)
def test_tags(text: str, tag: str) -> None:
    assert normalize_tag(text) == tag


@pytest.mark.parametrize(
    "text", ["", "two words", "[bold]x", "-lead", "_x", "a" * (MAX_TAG_CHARS + 1), "x\x1b[31m", "a,b"]
)
def test_not_tags(text: str) -> None:
    assert normalize_tag(text) is None


def test_changes_read_like_the_command_line() -> None:
    assert parse_changes(["+billing", "-bug", "VIP", "+billing"]) == TagChange(("billing", "vip"), ("bug",))
    with pytest.raises(UserError, match="added and removed at once"):
        parse_changes(["+x", "-x"])
    with pytest.raises(UserError, match="is not a tag"):
        parse_changes(["+[b]x"])
    with pytest.raises(UserError, match="no tags given"):
        parse_changes([])


def test_concurrent_changes_both_count() -> None:
    alice, bob = TagChange(("billing",)), TagChange(("bug",), ("urgent",))
    assert replay([alice, bob], ["urgent"]) == replay([bob, alice], ["urgent"]) == ["billing", "bug"]


def test_state_folder_entries_keep_only_well_formed_tags() -> None:
    good = json.dumps({"add": ["billing"], "remove": ["bug"], "token": "t1"})
    entry = parse_state_message(
        5, build_tags_message(ACCOUNT, "alice", "k3m9x2qa", good, "2026-12-01T09:00:00+00:00")
    )
    assert entry is not None and entry.kind == TAGS
    assert json.loads(entry.changes) == {"add": ["billing"], "remove": ["bug"], "token": "t1"}
    hostile = json.dumps({"add": ["[@click=app.quit]x"], "remove": [], "token": "t2"})
    assert parse_state_message(6, build_tags_message(ACCOUNT, "eve", "k3m9x2qa", hostile, "")) is None
    no_token = json.dumps({"add": ["billing"], "remove": []})
    assert parse_state_message(7, build_tags_message(ACCOUNT, "eve", "k3m9x2qa", no_token, "")) is None
