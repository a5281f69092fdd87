"""Naming a conversation or an incident by a prefix of its id: one rule for both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.errors import NotFound
from supportinbox.store.conversation_rows import resolve_prefix
from supportinbox.store.conversations import CONVERSATION_IDS, resolve_id
from supportinbox.store.db import Database, open_database
from supportinbox.store.incidents import INCIDENT_IDS, resolve_incident


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "cache.sqlite3")
    with database.transaction() as conn:
        for ident in ("k3m7x2qa", "k3m7zzzz", "abcdefgh"):
            conn.execute("INSERT INTO conversations (id) VALUES (?)", (ident,))
        for ident in ("i4k2x9q", "i4k2aaa"):
            conn.execute(
                "INSERT INTO incidents (id, status, first_at, last_at) VALUES (?, 'active', '', '')", (ident,)
            )
    yield database
    database.close()


def test_the_example_in_the_error_is_an_id_of_that_shape() -> None:
    for kind in (CONVERSATION_IDS, INCIDENT_IDS):
        assert kind.shape.match(kind.example), kind


def test_a_whole_id_or_a_unique_prefix_names_it(db: Database) -> None:
    assert resolve_id(db, " K3M7X2QA ") == "k3m7x2qa"
    assert resolve_id(db, "abcd") == "abcdefgh"
    assert resolve_incident(db, "i4k2x") == "i4k2x9q"
    assert resolve_prefix(db.conn, INCIDENT_IDS, "i4k2aaa") == "i4k2aaa"


@pytest.mark.parametrize(
    ("kind", "text", "said"),
    [
        (CONVERSATION_IDS, "k3m7", "'k3m7' matches several conversations: type more of the id"),
        (CONVERSATION_IDS, "zzzz", "no conversation 'zzzz': see 'supportinbox list --status all'"),
        (
            CONVERSATION_IDS,
            "k3",
            "'k3' is not a conversation id (ids look like 'k3m7x2qa'; see 'supportinbox list')",
        ),
        (CONVERSATION_IDS, "k3m9", "'k3m9' is not a conversation id"),  # 9 is never in an id
        (INCIDENT_IDS, "i4k2", "'i4k2' matches several incidents: type more of the id"),
        (INCIDENT_IDS, "i999", "no incident 'i999': see 'supportinbox incident list --all'"),
        (INCIDENT_IDS, "k3m7x2qa", "'k3m7x2qa' is not an incident id"),
    ],
)
def test_what_was_wrong_is_said(db: Database, kind: object, text: str, said: str) -> None:
    assert kind in (CONVERSATION_IDS, INCIDENT_IDS)
    with pytest.raises(NotFound) as raised:
        resolve_prefix(db.conn, kind, text)  # type: ignore[arg-type]
    assert raised.value.message.startswith(said)
