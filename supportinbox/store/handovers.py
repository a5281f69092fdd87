"""How often each conversation was handed over, counted from its hand-over notes.

The notes travel to every teammate like any note, so every client counts the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from supportinbox.domain.handover import PREFIX, note_text
from supportinbox.store.db import Database


def load_handovers(conn: sqlite3.Connection) -> dict[str, int]:
    """Hand-overs per conversation (those with at least one), for the refresh."""
    rows = conn.execute(
        "SELECT conversation_id, COUNT(*) FROM notes WHERE substr(body, 1, ?) = ? GROUP BY conversation_id",
        (len(PREFIX), PREFIX),
    )
    return {str(cid): int(count) for cid, count in rows}


def handed_over_by(conn: sqlite3.Connection, conversation_id: str, to: str) -> str | None:
    """Who last handed this conversation over to ``to``, as their hand-over note says."""
    prefix = note_text(to, "")
    row = conn.execute(
        "SELECT author FROM notes WHERE conversation_id = ? AND substr(body, 1, ?) = ? "
        "ORDER BY created_at DESC, id DESC LIMIT 1",
        (conversation_id, len(prefix), prefix),
    ).fetchone()
    return str(row[0]) if row else None


def handover_count(conn: sqlite3.Connection, conversation_id: str) -> int:
    """How often this conversation was handed over (as last counted)."""
    row = conn.execute("SELECT handovers FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
    return int(row[0] or 0) if row else 0


def recount(db: Database, conversation_ids: Iterable[str]) -> None:
    """Count the hand-overs of these conversations again (after notes arrived or were added)."""
    idents = sorted(set(conversation_ids))
    if not idents:
        return
    with db.transaction() as tx:
        tx.executemany(
            "UPDATE conversations SET handovers = (SELECT COUNT(*) FROM notes n "
            "WHERE n.conversation_id = conversations.id AND substr(n.body, 1, ?) = ?) WHERE id = ?",
            [(len(PREFIX), PREFIX, ident) for ident in idents],
        )
