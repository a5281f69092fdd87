"""Merge and split: threading applies them by Message-ID; state-folder entries are held to shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from supportinbox.config import AccountConfig
from supportinbox.domain.threading import (
    MERGE,
    SPLIT,
    Override,
    ThreadMessage,
    short_id,
    split_key,
    thread_messages,
)
from supportinbox.team.statefolder import build_thread_message, parse_state_message

ACCOUNT = AccountConfig(email="support@acme.test", username="support", imap_host="127.0.0.1", agent="alice")
AT = "2026-12-01T09:00:00+00:00"
START = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _message(
    rowid: int, mid: str, subject: str, minutes: int, reply_to: str | None = None, *, us: bool = False
) -> ThreadMessage:
    return ThreadMessage(
        rowid=rowid,
        message_id=mid,
        in_reply_to=reply_to,
        references=(reply_to,) if reply_to else (),
        subject=subject,
        from_addr="support@acme.test" if us else "lina@c.test",
        to_addrs=("lina@c.test",) if us else ("support@acme.test",),
        when=START + timedelta(minutes=minutes),
        from_us=us,
    )


MAILBOX = [
    _message(1, "<q1@c>", "Cannot log in", 0),
    _message(2, "<a1@acme>", "Re: Cannot log in", 10, "<q1@c>", us=True),
    _message(3, "<q2@c>", "Re: Cannot log in", 20, "<a1@acme>"),
    _message(4, "<q3@c>", "Invoice for November", 60 * 24 * 40),
]


def _groups(overrides: list[Override]) -> dict[str, list[int]]:
    return {t.id: [m.rowid for m in t.messages] for t in thread_messages(MAILBOX, overrides)}


def test_a_merge_keeps_the_target_id_and_a_split_takes_its_id_from_the_message() -> None:
    plain = _groups([])
    (login,) = [cid for cid, rows in plain.items() if rows == [1, 2, 3]]
    (invoice,) = [cid for cid, rows in plain.items() if rows == [4]]
    assert _groups([Override(MERGE, "<q3@c>", "<q1@c>")]) == {login: [1, 2, 3, 4]}
    # The invoice conversation stays when the login one joins it: its id, all messages.
    assert _groups([Override(MERGE, "<q1@c>", "<q3@c>")]) == {invoice: [1, 2, 3, 4]}
    split = short_id(split_key("<q2@c>"))
    assert _groups([Override(SPLIT, "<q2@c>")]) == {login: [1, 2], split: [3], invoice: [4]}
    # Applied in order: merged, then split again at the merged-in message.
    both = [Override(MERGE, "<q3@c>", "<q1@c>"), Override(SPLIT, "<q3@c>")]
    assert _groups(both) == {login: [1, 2, 3], short_id(split_key("<q3@c>")): [4]}
    # Nothing to do: the first message, an unknown one, a merge with itself.
    for noop in (Override(SPLIT, "<q1@c>"), Override(SPLIT, "<nope@x>"), Override(MERGE, "<q2@c>", "<q1@c>")):
        assert _groups([noop]) == plain


def test_a_split_off_conversation_keeps_its_id_when_nothing_precedes_it_any_more() -> None:
    plain = _groups([])
    (login,) = [cid for cid, rows in plain.items() if rows == [1, 2, 3]]
    split = short_id(split_key("<q2@c>"))
    # The messages before the anchor were expunged: what is left is still the split's.
    rest = [m for m in MAILBOX if m.rowid not in (1, 2)]
    after = [Override(SPLIT, "<q2@c>", source=login)]
    assert split in {t.id for t in thread_messages(rest, after)}
    # A split recorded at the first message of the very conversation named changes nothing.
    first = [Override(SPLIT, "<q1@c>", source=login)]
    assert _groups(first) == plain


def test_a_reply_to_a_message_that_stays_stays() -> None:
    later = [*MAILBOX, _message(5, "<q4@c>", "Re: Cannot log in", 30, "<a1@acme>")]
    groups = {
        t.id: [m.rowid for m in t.messages] for t in thread_messages(later, [Override(SPLIT, "<q2@c>")])
    }
    assert sorted(groups.values()) == [[1, 2, 5], [3], [4]]


def _entry(kind: str, change: dict[str, str], conversation: str = "k3m9x2qa") -> object:
    return parse_state_message(9, build_thread_message(ACCOUNT, "alice", kind, conversation, change, AT))


def test_state_folder_entries_keep_only_well_formed_merges_and_splits() -> None:
    good = {"message": "<q3@c>", "into": "<q1@c>", "target": "bj54hhic", "token": "ab12"}
    entry = _entry(MERGE, good)
    assert entry is not None and entry.kind == MERGE  # type: ignore[attr-defined]
    assert json.loads(entry.changes) == good  # type: ignore[attr-defined]
    split = _entry(SPLIT, {"message": "<q2@c>", "into": "", "target": "p6u473le", "token": "cd34"})
    assert split is not None and split.kind == SPLIT  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        (MERGE, {"message": "<a b@c>", "into": "<q1@c>", "target": "bj54hhic", "token": "t"}),
        (MERGE, {"message": "<q3@c>", "into": "", "target": "bj54hhic", "token": "t"}),
        (SPLIT, {"message": "<q3@c>", "into": "<q1@c>", "target": "bj54hhic", "token": "t"}),
        (MERGE, {"message": "<q3@c>", "into": "<q1@c>", "target": "[bold]x", "token": "t"}),
        (MERGE, {"message": "<q3@c>", "into": "<q1@c>", "target": "bj54hhic", "token": "t\x1b[31m"}),
        (MERGE, {"message": "<q3@c>\r\nX: y", "into": "<q1@c>", "target": "bj54hhic", "token": "t"}),
        (MERGE, {"message": "<q3@c>", "into": "<q1@c>", "target": "bj54hhic"}),
    ],
)
def test_hostile_or_broken_entries_are_skipped(kind: str, change: dict[str, str]) -> None:
    assert _entry(kind, change) is None
