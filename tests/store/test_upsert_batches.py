"""Many messages written at once: chunked statements, repeats, and the full-text index."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from supportinbox.mail.parse import ParsedMessage
from supportinbox.store import messages as store
from supportinbox.store.db import open_database


def _row(folder_id: int, uid: int, word: str) -> dict[str, object]:
    parsed = ParsedMessage(
        subject=f"subject {uid}", from_addr="a@customer.test", body_text=f"{word} number{uid}"
    )
    return store.message_row(folder_id, uid, flags="", modseq=uid, internaldate=None, size=uid, parsed=parsed)


@pytest.mark.parametrize("count", [1, store.UPSERT_CHUNK, store.UPSERT_CHUNK + 1, 2 * store.UPSERT_CHUNK + 7])
def test_every_row_is_stored_and_indexed_once(tmp_path: Path, count: int) -> None:
    with open_database(tmp_path / "c.sqlite3") as db:
        with db.transaction() as conn:
            folder = store.ensure_folder(conn, "INBOX", "inbox")
            store.upsert_messages(conn, [_row(folder.id, uid, "walrus") for uid in range(1, count + 1)])
        assert store.cached_uids(db.conn, folder.id) == set(range(1, count + 1))
        hits = db.conn.execute("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'walrus'").fetchall()
        ids = db.conn.execute("SELECT id FROM messages").fetchall()
        assert sorted(h[0] for h in hits) == sorted(i[0] for i in ids)
        last = db.conn.execute(
            "SELECT m.uid FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
            "WHERE messages_fts MATCH ?",
            (f"number{count}",),
        ).fetchall()
        assert [r[0] for r in last] == [count]
        db.conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def test_a_repeated_message_in_one_call_ends_as_its_last_row(tmp_path: Path) -> None:
    """Across a chunk boundary and inside one chunk, as with one statement per row."""
    with open_database(tmp_path / "c.sqlite3") as db:
        with db.transaction() as conn:
            folder = store.ensure_folder(conn, "INBOX", "inbox")
            rows = [_row(folder.id, uid, "first") for uid in range(1, store.UPSERT_CHUNK + 3)]
            rows += [_row(folder.id, 1, "second"), _row(folder.id, store.UPSERT_CHUNK + 2, "second")]
            rows.append(_row(folder.id, 1, "third"))
            store.upsert_messages(conn, rows)
        bodies = dict(
            db.conn.execute(
                "SELECT uid, body_text FROM messages WHERE uid IN (1, ?)", (store.UPSERT_CHUNK + 2,)
            )
        )
        assert bodies == {
            1: "third number1",
            store.UPSERT_CHUNK + 2: f"second number{store.UPSERT_CHUNK + 2}",
        }
        count = db.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        assert count == store.UPSERT_CHUNK + 2
        for word, expected in (("first", store.UPSERT_CHUNK), ("second", 1), ("third", 1)):
            found = db.conn.execute("SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH ?", (word,))
            assert found.fetchone()[0] == expected, word
        db.conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def test_a_low_variable_limit_still_writes_everything(tmp_path: Path) -> None:
    """SQLite builds with a small bound-parameter limit get smaller statements."""
    with open_database(tmp_path / "c.sqlite3") as db:
        db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 60)
        with db.transaction() as conn:
            folder = store.ensure_folder(conn, "INBOX", "inbox")
            store.upsert_messages(conn, [_row(folder.id, uid, "walrus") for uid in range(1, 8)])
        assert store.cached_uids(db.conn, folder.id) == set(range(1, 8))


def test_deleting_many_uids_removes_them_from_the_cache_and_the_index(tmp_path: Path) -> None:
    with open_database(tmp_path / "c.sqlite3") as db:
        db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 40)  # several statements
        with db.transaction() as conn:
            folder = store.ensure_folder(conn, "INBOX", "inbox")
            other = store.ensure_folder(conn, "Junk", "junk")
            store.upsert_messages(conn, [_row(folder.id, uid, "walrus") for uid in range(1, 121)])
            store.upsert_messages(conn, [_row(other.id, uid, "walrus") for uid in range(1, 11)])
            gone = [*range(1, 121, 2), 3, 500]  # a repeat and a UID never cached
            assert store.delete_uids(conn, folder.id, gone) == 60
        assert store.cached_uids(db.conn, folder.id) == set(range(2, 121, 2))
        assert store.cached_uids(db.conn, other.id) == set(range(1, 11))
        found = db.conn.execute("SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'walrus'")
        assert found.fetchone()[0] == 70
        db.conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")
