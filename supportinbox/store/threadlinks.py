"""Merges and splits made by hand, in the cache: recorded, replayed by threading, state carried.

A merge or split is a row of ``thread_overrides`` naming messages by Message-ID
(:class:`supportinbox.domain.threading.Override`), so threading applies it again after
any re-sync or rebuild. Rows seen in the state folder (``uid``) come first, in the team's
order; this client's rows not seen back yet follow. A merge also names the conversation
merged away (``source``) and the one it joined (``target``): before every refresh the
team state still held under the old id (status, claim, notes, tags, follow-up, status
history) is carried to the surviving conversation (:func:`carry_merged`), so it is carried
the same way on every client and after a rebuild.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from supportinbox.domain.threading import MERGE, SPLIT, Override
from supportinbox.store import facts
from supportinbox.store.messages import THREADED_ROLES

KINDS = (MERGE, SPLIT)
_ORDER = "ORDER BY uid IS NULL, uid, id"


@dataclass(frozen=True)
class Link:
    """One recorded merge or split."""

    kind: str
    message_id: str
    into: str
    source: str
    target: str
    author: str
    at: str
    token: str


def load_overrides(conn: sqlite3.Connection) -> list[Override]:
    """Every merge and split, in the order threading applies them."""
    return [
        Override(str(kind), str(mid), str(into), str(source or ""))
        for kind, mid, into, source in conn.execute(
            f"SELECT kind, message_id, into_id, source FROM thread_overrides {_ORDER}"
        )
    ]


def override_keys(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """The threading keys (``i:`` Message-IDs) each merge ties together, for a partial refresh."""
    return [
        (f"i:{_key(str(mid))}", f"i:{_key(str(into))}")
        for mid, into in conn.execute("SELECT message_id, into_id FROM thread_overrides WHERE kind = 'merge'")
    ]


def _key(message_id: str) -> str:
    cleaned = message_id.strip().strip("<>").strip()
    return cleaned if cleaned.lower() == cleaned else cleaned.lower()


def new_token() -> str:
    return secrets.token_hex(8)


def record(conn: sqlite3.Connection, link: Link, *, uid: int | None = None) -> bool:
    """Store ``link`` (once per token) and mark its conversations for the next refresh.

    ``uid``: the state-folder entry it was read from. Returns whether anything changed.
    """
    found = conn.execute("SELECT uid FROM thread_overrides WHERE token = ?", (link.token,)).fetchone()
    if found is not None:
        if uid is not None and found[0] is None:
            # Our own entry came back: from now on it is in the team's order.
            conn.execute(
                "UPDATE thread_overrides SET uid = ?, uploaded = 1 WHERE token = ?", (uid, link.token)
            )
            _dirty(conn, link)
            return True
        return False
    conn.execute(
        "INSERT INTO thread_overrides(kind, message_id, into_id, source, target, author, at, token, "
        "uploaded, uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            link.kind,
            link.message_id,
            link.into,
            link.source,
            link.target,
            link.author,
            link.at,
            link.token,
            0 if uid is None else 1,
            uid,
        ),
    )
    _dirty(conn, link)
    return True


def holder(conn: sqlite3.Connection, message_id: str) -> str | None:
    """The conversation a message is in now (after the last refresh)."""
    row = conn.execute(
        "SELECT conversation_id FROM messages WHERE message_id = ? AND conversation_id IS NOT NULL LIMIT 1",
        (message_id,),
    ).fetchone()
    return str(row[0]) if row else None


def retarget(conn: sqlite3.Connection, token: str, target: str) -> None:
    """Name another conversation as the one a merge or split made (before it is shared)."""
    conn.execute("UPDATE thread_overrides SET target = ? WHERE token = ?", (target, token))


def _dirty(conn: sqlite3.Connection, link: Link) -> None:
    for cid in {link.source, link.target} - {""}:
        conn.execute("INSERT INTO triage_dirty(conversation_id, kind) VALUES (?, 'thread')", (cid,))


def pending(conn: sqlite3.Connection) -> list[Link]:
    """This client's merges and splits not shared yet."""
    return [
        Link(*map(str, row))
        for row in conn.execute(
            "SELECT kind, message_id, into_id, source, target, author, at, token FROM thread_overrides "
            "WHERE uploaded = 0 ORDER BY id"
        )
    ]


def mark_uploaded(conn: sqlite3.Connection, token: str) -> None:
    conn.execute("UPDATE thread_overrides SET uploaded = 1 WHERE token = ?", (token,))


def _merges(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """The merges in effect: threading applies one only while both its messages are threaded
    (one expunged or moved to Junk, the conversation merged away is itself again, with its
    own state)."""
    threaded = (
        "SELECT 1 FROM messages m JOIN folders f ON f.id = m.folder_id "
        f"WHERE m.message_id = o.{{}} AND f.role IN ({', '.join('?' * len(THREADED_ROLES))})"
    )
    return [
        (str(s), str(t))
        for s, t in conn.execute(
            "SELECT source, target FROM thread_overrides o WHERE kind = 'merge' "
            f"AND EXISTS ({threaded.format('message_id')}) "
            f"AND EXISTS ({threaded.format('into_id')}) {_ORDER}",
            (*THREADED_ROLES, *THREADED_ROLES),
        )
        if s and t and s != t
    ]


def _survivors(merges: list[tuple[str, str]]) -> dict[str, str]:
    """Each merged-away id -> the conversation it lives on in, replayed as threading does.

    In order, a merge joins the whole group of its source to the group of its target, which
    keeps its id; a merge within one group changes nothing (two teammates merging A into B
    and B into A at once: the first one wins, on every client).
    """
    parent: dict[str, str] = {}

    def root(cid: str) -> str:
        while cid in parent:
            cid = parent[cid]
        return cid

    for source, target in merges:
        joins, stays = root(source), root(target)
        if joins != stays:
            parent[joins] = stays
    return {cid: root(cid) for cid in parent}


def merged_into(conn: sqlite3.Connection, conversation_id: str) -> str | None:
    """The conversation ``conversation_id`` was merged into (followed to the survivor), if any."""
    return _survivors(_merges(conn)).get(conversation_id)


def merged_away(conn: sqlite3.Connection, prefix: str) -> tuple[str, str] | None:
    """The merged-away conversation whose id starts with ``prefix`` and where it went
    (``(id, survivor)``), when exactly one does."""
    found = [(cid, into) for cid, into in _survivors(_merges(conn)).items() if cid.startswith(prefix)]
    return found[0] if len(found) == 1 else None


def merged_sources(conn: sqlite3.Connection, conversation_id: str) -> list[str]:
    """Every conversation merged into ``conversation_id`` (directly or through another)."""
    return [cid for cid, survivor in _survivors(_merges(conn)).items() if survivor == conversation_id]


_STATE_COLUMNS = "status, snoozed_until, assigned_to, updated_at, updated_by"


def carry_merged(conn: sqlite3.Connection) -> list[str]:
    """Move team state still held under a merged-away id to its survivor; return the survivors.

    Status and snooze: the newer of the two; the claim: the survivor's, else the merged
    one's; notes, tags, status history and replies in the outbox: all of both; follow-up:
    the survivor's, else the merged one's. Cheap when there is nothing to carry (one probe
    per table and merge).
    """
    moved: list[str] = []
    for source, target in _survivors(_merges(conn)).items():
        if _holds_state(conn, source):
            _carry(conn, source, target)
            moved.append(target)
    return moved


_TABLES = ("conversation_state", "team_sync", "notes", "followups", "tags", "tag_changes", "outbox")


def _holds_state(conn: sqlite3.Connection, cid: str) -> bool:
    return any(
        conn.execute(f"SELECT 1 FROM {table} WHERE conversation_id = ? LIMIT 1", (cid,)).fetchone()
        for table in _TABLES
    )


def _carry(conn: sqlite3.Connection, source: str, target: str) -> None:
    old = conn.execute(
        f"SELECT {_STATE_COLUMNS} FROM conversation_state WHERE conversation_id = ?", (source,)
    )
    mine = old.fetchone()
    theirs = conn.execute(
        f"SELECT {_STATE_COLUMNS} FROM conversation_state WHERE conversation_id = ?", (target,)
    ).fetchone()
    if mine is not None and theirs is None:
        conn.execute(
            "UPDATE conversation_state SET conversation_id = ? WHERE conversation_id = ?", (target, source)
        )
    elif mine is not None and theirs is not None:
        status, snoozed, holder, at, by = mine
        if str(at or "") > str(theirs[3] or ""):
            conn.execute(
                "UPDATE conversation_state SET status = ?, snoozed_until = ?, updated_at = ?, updated_by = ? "
                "WHERE conversation_id = ?",
                (status, snoozed, at, by, target),
            )
        if not theirs[2] and holder:
            conn.execute(
                "UPDATE conversation_state SET assigned_to = ? WHERE conversation_id = ?", (holder, target)
            )
        conn.execute("DELETE FROM conversation_state WHERE conversation_id = ?", (source,))
    # What the server last agreed on for the merged-away id is not the survivor's: the carried
    # status and claim differ from the survivor's record, so the next share writes them on every
    # message of the merged conversation (the same on every client, as all carry alike).
    conn.execute("DELETE FROM team_sync WHERE conversation_id = ?", (source,))
    if conn.execute("SELECT 1 FROM followups WHERE conversation_id = ?", (target,)).fetchone():
        conn.execute("DELETE FROM followups WHERE conversation_id = ?", (source,))
    else:
        conn.execute("UPDATE followups SET conversation_id = ? WHERE conversation_id = ?", (target, source))
    conn.execute(
        "INSERT OR IGNORE INTO tags(conversation_id, tag) SELECT ?, tag FROM tags WHERE conversation_id = ?",
        (target, source),
    )
    conn.execute("DELETE FROM tags WHERE conversation_id = ?", (source,))
    # A reply queued for the merged-away conversation is the survivor's: its pre-send checks
    # (has a teammate claimed or answered it?) look at the conversation it is in now.
    for table in ("notes", "tag_changes", "outbox"):
        conn.execute(f"UPDATE {table} SET conversation_id = ? WHERE conversation_id = ?", (target, source))
    facts.rename_conversations(conn, {source: target})
    conn.execute("INSERT INTO triage_dirty(conversation_id, kind) VALUES (?, 'thread')", (target,))


def keep_subjects(conn: sqlite3.Connection, rows: str = "", links: str = "") -> None:
    """A conversation that others were merged into keeps its own subject, even when the mail
    merged in is older (the subject is otherwise the first message's).

    With ``rows`` and ``links`` (a refresh's scratch tables of conversations and of the
    message -> conversation links it changes), applied to those before they are written, so a refresh that
    changes nothing else writes no row.
    """
    if rows and links:
        name = rows.rpartition(".")[2]
        # ``links`` holds only the links the refresh changes; the others stay as they are.
        held = (
            f"SELECT t.target, m.subject, t.uid, t.id FROM thread_overrides t "
            f"JOIN messages m ON m.message_id = t.into_id WHERE t.kind = 'merge' AND t.target = "
            f"COALESCE((SELECT l.conversation FROM {links} l WHERE l.message = m.id), m.conversation_id)"
        )
        conn.execute(
            f"UPDATE {rows} SET subject = (SELECT h.subject FROM ({held}) h WHERE h.target = {name}.id "
            f"ORDER BY h.uid IS NULL, h.uid, h.id LIMIT 1) "
            f"WHERE id IN (SELECT target FROM ({held}))"
        )
        return
    conn.execute(
        "UPDATE conversations SET subject = (SELECT m.subject FROM messages m JOIN thread_overrides t "
        "ON m.message_id = t.into_id AND m.conversation_id = conversations.id "
        "WHERE t.kind = 'merge' AND t.target = conversations.id ORDER BY t.uid IS NULL, t.uid, t.id LIMIT 1) "
        "WHERE id IN (SELECT t.target FROM thread_overrides t JOIN messages m ON m.message_id = t.into_id "
        "AND m.conversation_id = t.target WHERE t.kind = 'merge')"
    )


def now_text(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
