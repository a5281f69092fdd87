"""Tags in the cache: changing them, the current set, and the conversations with a tag.

A conversation's tags are the state folder's ``tags`` changes (in UID order) with this
client's own changes on top until they come back from the server (by their token). The
result is kept in ``tags`` (for ``list --tag`` and ``tag:``) and in ``conversations.tags``.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from supportinbox.domain.tags import MAX_TAGS, TagChange, replay
from supportinbox.domain.when import iso, now_utc
from supportinbox.errors import UserError
from supportinbox.store.db import Database
from supportinbox.store.threadlinks import merged_sources


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in text.split() if w)


def decode_change(text: str) -> tuple[TagChange, str] | None:
    """A state-folder ``tags`` entry's change and token (``None`` if malformed)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    add, remove, token = data.get("add"), data.get("remove"), data.get("token")
    if not (isinstance(add, list) and isinstance(remove, list) and isinstance(token, str)):
        return None
    return TagChange(tuple(map(str, add)), tuple(map(str, remove))), token


def encode_change(change: TagChange, token: str) -> str:
    return json.dumps(
        {"add": list(change.add), "remove": list(change.remove), "token": token}, sort_keys=True
    )


def current_tags(conn: sqlite3.Connection, conversation_id: str) -> list[str]:
    """The conversation's tags: the server's changes, then this client's not seen back yet."""
    # A merged conversation keeps the tags given to the conversations merged into it.
    ids = [conversation_id, *merged_sources(conn, conversation_id)]
    marks = ", ".join("?" * len(ids))
    changes: list[TagChange] = []
    seen: set[str] = set()
    for (text,) in conn.execute(
        "SELECT changes FROM team_state_log WHERE kind = 'tags' "
        f"AND conversation_id IN ({marks}) ORDER BY uid",
        ids,
    ):
        decoded = decode_change(str(text))
        if decoded is not None:
            changes.append(decoded[0])
            seen.add(decoded[1])
    for added, removed, token in conn.execute(
        f"SELECT added, removed, token FROM tag_changes WHERE conversation_id IN ({marks}) ORDER BY id",
        ids,
    ):
        if token not in seen:
            changes.append(TagChange(_words(str(added)), _words(str(removed))))
    return replay(changes)


def recompute(conn: sqlite3.Connection, conversation_ids: Iterable[str]) -> None:
    """Write the current tags of ``conversation_ids`` into ``tags`` and ``conversations.tags``."""
    for cid in conversation_ids:
        tags = current_tags(conn, cid)
        conn.execute("DELETE FROM tags WHERE conversation_id = ?", (cid,))
        conn.executemany("INSERT INTO tags(conversation_id, tag) VALUES (?, ?)", [(cid, t) for t in tags])
        conn.execute("UPDATE conversations SET tags = ? WHERE id = ?", (" ".join(tags), cid))


def load_tags(conn: sqlite3.Connection) -> dict[str, str]:
    """Every conversation's tags as stored (space-separated), for the refresh."""
    found: dict[str, list[str]] = {}
    for cid, tag in conn.execute("SELECT conversation_id, tag FROM tags ORDER BY conversation_id, tag"):
        found.setdefault(str(cid), []).append(str(tag))
    return {cid: " ".join(tags) for cid, tags in found.items()}


def change_tags(
    db: Database, conversation_id: str, change: TagChange, *, agent: str, now: datetime | None = None
) -> list[str]:
    """Apply ``change`` here (shared at the next sync); return the conversation's tags now."""
    from supportinbox.store.conversations import resolve_id

    ident = resolve_id(db, conversation_id)
    after = change.applied_to(current_tags(db.conn, ident))
    if len(after) > MAX_TAGS:
        raise UserError(f"a conversation has at most {MAX_TAGS} tags: remove some first")
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO tag_changes(conversation_id, added, removed, author, at, token) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                ident,
                " ".join(change.add),
                " ".join(change.remove),
                agent,
                iso(now_utc(now)),
                new_token(),
            ),
        )
        recompute(tx, [ident])
    return current_tags(db.conn, ident)


def new_token() -> str:
    """A change's token: how this client recognises it when it comes back from the server."""
    return secrets.token_hex(8)


def tag_counts(db: Database) -> list[tuple[str, int]]:
    """Every tag in use with how many conversations carry it, most used first."""
    return [
        (str(r[0]), int(r[1]))
        for r in db.conn.execute("SELECT tag, COUNT(*) FROM tags GROUP BY tag ORDER BY COUNT(*) DESC, tag")
    ]
