"""Server changes waiting for a connection (``pending_ops``).

The TUI and commands change the cache at once and queue the matching IMAP change here;
the sync engine flushes the queue at the start of each sync. An operation that fails stays
queued with its error and attempt count, so nothing the user did is silently dropped.

Kinds and payloads:

- ``add_flags`` / ``remove_flags``: ``{"folder": str, "uid": int, "flags": [str, ...]}``
- ``move``: ``{"folder": str, "uid": int, "dest": str}``, optionally with ``"message_id"``
  (the move happens only if the UID still names that message), ``"add_flags"`` and
  ``"remove_flags"`` (lists of flags set on the message before it moves, e.g. ``$NotJunk``),
  and ``"rescue": true`` (a customer rescued from the spam folder: once moved, its
  Message-ID is kept by :func:`note_rescued` until its conversation is reopened)
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from supportinbox.store.db import utcnow_iso

# Not typing.TYPE_CHECKING: a no-change sync answered before the program loads reads
# this module and loads little else.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KINDS = ("add_flags", "remove_flags", "move")


@dataclass(frozen=True, slots=True)
class PendingOp:
    id: int
    kind: str
    payload: dict[str, Any]
    created_at: str
    attempts: int
    last_error: str | None


def _validate(kind: str, payload: dict[str, Any]) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown pending operation kind {kind!r} (expected one of {', '.join(KINDS)})")
    if not isinstance(payload.get("folder"), str) or not isinstance(payload.get("uid"), int):
        raise ValueError(f"{kind} needs a 'folder' name and an integer 'uid'")
    if kind == "move":
        if not isinstance(payload.get("dest"), str):
            raise ValueError("move needs a 'dest' folder name")
        for key in ("add_flags", "remove_flags"):
            flags = payload.get(key, [])
            if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
                raise ValueError(f"move's {key!r} must be a list of strings")
    elif not isinstance(payload.get("flags"), list) or not all(isinstance(f, str) for f in payload["flags"]):
        raise ValueError(f"{kind} needs 'flags', a list of strings")


def enqueue(conn: sqlite3.Connection, kind: str, payload: dict[str, Any]) -> int:
    """Queue a server change; return its id. The caller owns the transaction."""
    _validate(kind, payload)
    cursor = conn.execute(
        "INSERT INTO pending_ops(kind, payload, created_at) VALUES (?, ?, ?)",
        (kind, json.dumps(payload, ensure_ascii=False, sort_keys=True), utcnow_iso()),
    )
    return int(cursor.lastrowid or 0)


def list_pending(conn: sqlite3.Connection) -> list[PendingOp]:
    """Queued operations, oldest first."""
    rows = conn.execute(
        "SELECT id, kind, payload, created_at, attempts, last_error FROM pending_ops ORDER BY id"
    ).fetchall()
    ops = []
    for ident, kind, text, created_at, attempts, last_error in rows:
        try:
            payload = json.loads(text)
        except ValueError:
            payload = {}
        ops.append(PendingOp(int(ident), str(kind), payload, str(created_at), int(attempts), last_error))
    return ops


def count_pending(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM pending_ops").fetchone()[0])


def mark_done(conn: sqlite3.Connection, op_id: int) -> None:
    conn.execute("DELETE FROM pending_ops WHERE id = ?", (op_id,))


def mark_failed(conn: sqlite3.Connection, op_id: int, error: str) -> None:
    """Keep the operation queued, recording why it failed this time."""
    conn.execute(
        "UPDATE pending_ops SET attempts = attempts + 1, last_error = ? WHERE id = ?",
        (error[:500], op_id),
    )


# Message-IDs of rescues a queued move has done, whose conversations are still to be
# reopened (the rescued message must be fetched into the inbox first).
RESCUED_META = "rescued_to_reopen"
_MAX_RESCUED = 200


def note_rescued(conn: sqlite3.Connection, message_id: str) -> None:
    """Keep ``message_id`` for :func:`take_rescued`. The caller owns the transaction."""
    kept = rescued(conn)
    if message_id not in kept:
        kept = [*kept, message_id][-_MAX_RESCUED:]
    _set_rescued(conn, kept)


def rescued(conn: sqlite3.Connection) -> list[str]:
    """The Message-IDs kept by :func:`note_rescued`, oldest first."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (RESCUED_META,)).fetchone()
    try:
        found = json.loads(row[0]) if row is not None else []
    except ValueError:
        return []
    return [str(m) for m in found] if isinstance(found, list) else []


def forget_rescued(conn: sqlite3.Connection, message_ids: list[str]) -> None:
    """Drop ``message_ids`` from what :func:`rescued` lists. The caller owns the transaction."""
    _set_rescued(conn, [m for m in rescued(conn) if m not in message_ids])


def _set_rescued(conn: sqlite3.Connection, message_ids: list[str]) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (RESCUED_META, json.dumps(message_ids)),
    )
