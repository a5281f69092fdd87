"""Folders and messages in the cache.

Every function takes an open ``sqlite3.Connection`` and leaves transaction control to the
caller (the sync engine writes one transaction per batch, so an interrupted sync keeps
every completed batch and resumes after it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from supportinbox.domain.message import ParsedMessage, to_row

# Not typing.TYPE_CHECKING: a no-change sync answered before the program loads reads
# this module and loads little else.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True, slots=True)
class Folder:
    """A synced folder and its sync state (None until the first sync)."""

    id: int
    name: str
    role: str
    uidvalidity: int | None
    uidnext: int | None
    highestmodseq: int | None
    last_sync: str | None


def _folder(row: sqlite3.Row | tuple[Any, ...] | None) -> Folder | None:
    if row is None:
        return None
    return Folder(*tuple(row))


_FOLDER_COLUMNS = "id, name, role, uidvalidity, uidnext, highestmodseq, last_sync"
# The folder roles whose mail is threaded into conversations (Junk, Archive and others are not).
THREADED_ROLES = ("inbox", "sent")


def get_folder(conn: sqlite3.Connection, name: str) -> Folder | None:
    """The cached folder called ``name``, or None."""
    return _folder(conn.execute(f"SELECT {_FOLDER_COLUMNS} FROM folders WHERE name = ?", (name,)).fetchone())


def get_folder_by_role(conn: sqlite3.Connection, role: str) -> Folder | None:
    """The first cached folder with ``role`` (inbox, junk, sent, ...), or None."""
    row = conn.execute(
        f"SELECT {_FOLDER_COLUMNS} FROM folders WHERE role = ? ORDER BY id LIMIT 1", (role,)
    ).fetchone()
    return _folder(row)


def last_synced(conn: sqlite3.Connection) -> str | None:
    """When a sync last brought any folder up to date (ISO 8601 UTC); None: never synced."""
    row = conn.execute("SELECT MAX(last_sync) FROM folders").fetchone()
    return str(row[0]) if row and row[0] else None


def list_folders(conn: sqlite3.Connection) -> list[Folder]:
    rows = conn.execute(f"SELECT {_FOLDER_COLUMNS} FROM folders ORDER BY id").fetchall()
    return [f for f in map(_folder, rows) if f is not None]


def in_step(
    folder: Folder,
    *,
    uidvalidity: int,
    uidnext: int | None,
    highestmodseq: int | None,
    exists: int,
    cached: int,
) -> bool:
    """Whether the cache of ``folder`` holds the server's folder as it is now.

    The server's UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and message count (``exists``) are
    those recorded when the folder was last completed, and the cache holds ``cached``
    messages of it, as many as the server. Without CONDSTORE (no HIGHESTMODSEQ) a flag
    change cannot be told, so the folder is never taken as in step.
    """
    return (
        folder.uidvalidity == uidvalidity
        and uidnext is not None
        and folder.uidnext == uidnext
        and highestmodseq is not None
        and folder.highestmodseq == highestmodseq
        and cached == exists
    )


def count_cached(conn: sqlite3.Connection, folder_id: int) -> int:
    """How many messages of the folder the cache holds."""
    return int(conn.execute("SELECT COUNT(*) FROM messages WHERE folder_id = ?", (folder_id,)).fetchone()[0])


def ensure_folder(conn: sqlite3.Connection, name: str, role: str) -> Folder:
    """The folder called ``name``, created if new; its role is updated if it changed."""
    conn.execute(
        "INSERT INTO folders(name, role) VALUES (?, ?) "
        # Only a changed role is written: a sync that finds nothing new writes next to nothing.
        "ON CONFLICT(name) DO UPDATE SET role = excluded.role WHERE role IS NOT excluded.role",
        (name, role),
    )
    folder = get_folder(conn, name)
    assert folder is not None
    return folder


def set_folder_state(
    conn: sqlite3.Connection,
    folder_id: int,
    *,
    uidvalidity: int | None,
    uidnext: int | None,
    highestmodseq: int | None,
    last_sync: str | None,
) -> None:
    """Record how far a folder is synced (in the same transaction as the messages)."""
    conn.execute(
        "UPDATE folders SET uidvalidity = ?, uidnext = ?, highestmodseq = ?, last_sync = ? WHERE id = ?",
        (uidvalidity, uidnext, highestmodseq, last_sync, folder_id),
    )


def clear_folder(conn: sqlite3.Connection, folder_id: int) -> int:
    """Forget every cached message of a folder (its UIDVALIDITY changed); return how many."""
    cursor = conn.execute("DELETE FROM messages WHERE folder_id = ?", (folder_id,))
    conn.execute(
        "UPDATE folders SET uidvalidity = NULL, uidnext = NULL, highestmodseq = NULL WHERE id = ?",
        (folder_id,),
    )
    return cursor.rowcount


def flags_text(flags: Iterable[bytes | str]) -> str:
    """Flags as the cache stores them: space-separated, sorted, as text."""
    texts = {f.decode("utf-8", "replace") if isinstance(f, bytes) else str(f) for f in flags}
    # \Recent belongs to one session and would look like a change on every sync.
    texts.discard("\\Recent")
    return " ".join(sorted(texts))


_MESSAGE_COLUMNS = (
    "folder_id",
    "uid",
    "modseq",
    "internaldate",
    "flags",
    "size",
    "message_id",
    "in_reply_to",
    "refs",
    "from_name",
    "from_addr",
    "reply_to",
    "reply_to_name",
    "to_addrs",
    "cc_addrs",
    "subject",
    "date",
    "body_text",
    "body_truncated",
    "has_attachments",
    "attachments",
    "auth_results",
    "spam_headers",
    "priority",
    "list_headers",
    "automated",
    "automated_reason",
    "bounce_of",
    "bounce_recipient",
    "bounce_reason",
    "raw_headers",
    "parse_error",
)
_UPDATE_COLUMNS = [c for c in _MESSAGE_COLUMNS if c not in ("folder_id", "uid")]
_ON_CONFLICT = "ON CONFLICT(folder_id, uid) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in _UPDATE_COLUMNS
)
_ROW_PLACEHOLDERS = "(" + ", ".join("?" * len(_MESSAGE_COLUMNS)) + ")"
UPSERT_CHUNK = 100
"""Messages written by one INSERT statement in :func:`upsert_messages`."""


def _upsert_many_sql(count: int) -> str:
    return (
        f"INSERT INTO messages({', '.join(_MESSAGE_COLUMNS)}) VALUES "
        + ", ".join([_ROW_PLACEHOLDERS] * count)
        + " "
        + _ON_CONFLICT
    )


def message_row(
    folder_id: int,
    uid: int,
    *,
    flags: Iterable[bytes | str] | str,
    modseq: int | None,
    internaldate: str | None,
    size: int,
    parsed: ParsedMessage,
) -> dict[str, Any]:
    """The full cache row for one message (for :func:`upsert_messages`)."""
    row = to_row(parsed)
    row.update(
        folder_id=folder_id,
        uid=uid,
        modseq=modseq,
        internaldate=internaldate,
        flags=flags if isinstance(flags, str) else flags_text(flags),
        size=size,
    )
    return row


def upsert_messages(conn: sqlite3.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace many messages at once (rows from :func:`message_row`).

    Rows are written up to :data:`UPSERT_CHUNK` per statement rather than one statement
    each: the full-text index flushes its pending terms at the end of every statement
    that writes it (through the triggers), so one statement per message leaves thousands
    of tiny index segments to merge. On a first sync of 10,000 messages this halves the
    time spent writing to the cache. A repeated (folder, UID) later in ``rows`` updates
    the earlier one, as one statement per row would.
    """
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(_MESSAGE_COLUMNS)
    chunk = max(1, min(UPSERT_CHUNK, limit))
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        conn.execute(_upsert_many_sql(len(part)), [row[c] for row in part for c in _MESSAGE_COLUMNS])


def upsert_message(
    conn: sqlite3.Connection,
    folder_id: int,
    uid: int,
    *,
    flags: Iterable[bytes | str] | str,
    modseq: int | None,
    internaldate: str | None,
    size: int,
    parsed: ParsedMessage,
) -> int:
    """Insert or replace one message; return its row id."""
    row = message_row(
        folder_id, uid, flags=flags, modseq=modseq, internaldate=internaldate, size=size, parsed=parsed
    )
    upsert_messages(conn, [row])
    found = conn.execute(
        "SELECT id FROM messages WHERE folder_id = ? AND uid = ?", (folder_id, uid)
    ).fetchone()
    return int(found[0])


def update_flags(
    conn: sqlite3.Connection, folder_id: int, changes: Sequence[tuple[int, str, int | None]]
) -> int:
    """Apply ``(uid, flags_text, modseq)`` changes; return how many messages' flags changed."""
    if not changes:
        return 0
    # rowcount, not total_changes: the full-text triggers would be counted too.
    changed = conn.executemany(
        "UPDATE messages SET flags = ?, modseq = COALESCE(?, modseq) "
        "WHERE folder_id = ? AND uid = ? AND flags != ?",
        [(flags, modseq, folder_id, uid, flags) for uid, flags, modseq in changes],
    ).rowcount
    conn.executemany(
        "UPDATE messages SET modseq = ? WHERE folder_id = ? AND uid = ? AND modseq IS NOT ?",
        [(modseq, folder_id, uid, modseq) for uid, _, modseq in changes if modseq is not None],
    )
    return changed


def cached_uids(conn: sqlite3.Connection, folder_id: int) -> set[int]:
    return {int(r[0]) for r in conn.execute("SELECT uid FROM messages WHERE folder_id = ?", (folder_id,))}


def max_uid(conn: sqlite3.Connection, folder_id: int) -> int:
    row = conn.execute("SELECT MAX(uid) FROM messages WHERE folder_id = ?", (folder_id,)).fetchone()
    return int(row[0] or 0)


def delete_uids(conn: sqlite3.Connection, folder_id: int, uids: Iterable[int]) -> int:
    """Remove messages expunged on the server; return how many were cached.

    Several hundred per statement, for the reason given in :func:`upsert_messages` (the
    full-text index's delete trigger flushes at the end of each statement).
    """
    wanted = sorted({int(uid) for uid in uids})
    chunk = max(1, min(500, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1))
    deleted = 0
    for start in range(0, len(wanted), chunk):
        part = wanted[start : start + chunk]
        cursor = conn.execute(
            f"DELETE FROM messages WHERE folder_id = ? AND uid IN ({', '.join('?' * len(part))})",
            [folder_id, *part],
        )
        deleted += max(cursor.rowcount, 0)
    return deleted


def message_flags(conn: sqlite3.Connection, folder_id: int, uid: int) -> set[str] | None:
    row = conn.execute(
        "SELECT flags FROM messages WHERE folder_id = ? AND uid = ?", (folder_id, uid)
    ).fetchone()
    return None if row is None else set(str(row[0]).split())


def change_flags(
    conn: sqlite3.Connection, rowid: int, *, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> bool:
    """Add and remove flags of one cached message; True when they changed.

    The one way the cache's flags change here rather than from a server's answer
    (:func:`update_flags`); the caller tells the server (a queued operation, or done already).
    """
    row = conn.execute("SELECT flags FROM messages WHERE id = ?", (rowid,)).fetchone()
    if row is None:
        return False
    current = set(str(row[0]).split())
    wanted = (current - set(remove)) | set(add)
    if wanted == current:
        return False
    conn.execute("UPDATE messages SET flags = ? WHERE id = ?", (flags_text(wanted), rowid))
    return True
