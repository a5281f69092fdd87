"""Follow-ups between teammates: through the state folder, the newest one wins.

A follow-up set on this client (``followups.uploaded = 0``, also when set offline) is
APPENDed to the state folder as a ``followup`` entry at the next sync. Then the folder is
read, and for each conversation the newest entry (highest UID: the server's order, the
same for every client) replaces the cached follow-up unless this client has a newer one
still to upload. No keyword is involved.
"""

from __future__ import annotations

from dataclasses import dataclass

from imapclient import IMAPClient

from supportinbox.config import AccountConfig
from supportinbox.store.db import Database
from supportinbox.store.threadlinks import merged_into
from supportinbox.team import statefolder


@dataclass(frozen=True)
class Received:
    """A teammate's follow-up taken into this cache."""

    conversation_id: str
    author: str
    due_at: str | None
    note: str
    replaced: str = ""  # who set the follow-up in force here that this one replaced or cleared


def upload_pending(imap: IMAPClient, db: Database, account: AccountConfig) -> int:
    """APPEND every follow-up set here since the last sync and not on the server yet; return how many."""
    rows = db.conn.execute(
        "SELECT conversation_id, due_at, note, author, set_at FROM followups WHERE uploaded = 0 "
        "ORDER BY set_at, conversation_id"
    ).fetchall()
    if not rows:
        return 0
    statefolder.read_before_sharing(imap, db, account)
    shared = 0
    for cid, due_at, note, author, set_at in rows:
        writer = str(author) or account.agent
        if not statefolder.is_shared(db.conn, statefolder.FOLLOWUP, str(cid), writer, str(set_at)):
            raw = statefolder.build_followup_message(
                account, writer, str(cid), due_at, str(note), str(set_at)
            )
            statefolder.append_message(imap, raw)
            shared += 1
        with db.transaction() as tx:
            # Changed again meanwhile (another command): that one is uploaded next time.
            tx.execute(
                "UPDATE followups SET uploaded = 1 WHERE conversation_id = ? AND set_at = ? AND uploaded = 0",
                (cid, set_at),
            )
    return shared


def take_newest(db: Database, me: str) -> tuple[list[str], list[Received]]:
    """Apply the newest state-folder follow-up of each conversation to the cache, also of
    conversations not threaded here yet (they are on the first sync of a cache).

    Returns the conversations whose follow-up changed here and the ones teammates set.
    """
    newest = db.conn.execute(
        "SELECT l.uid, l.conversation_id, l.snoozed_until, l.note, l.author, l.written_at "
        "FROM team_state_log l JOIN (SELECT conversation_id, MAX(uid) AS uid FROM team_state_log "
        "WHERE kind = 'followup' GROUP BY conversation_id) n ON n.uid = l.uid ORDER BY l.uid"
    ).fetchall()
    changed: list[str] = []
    received: list[Received] = []
    with db.transaction() as tx:
        for uid, shared_as, due_at, note, author, written_at in newest:
            # One set on a conversation merged away since belongs to the one it joined.
            cid = merged_into(tx, str(shared_as)) or str(shared_as)
            local = tx.execute(
                "SELECT uploaded, uid, due_at, note, author, set_at FROM followups WHERE conversation_id = ?",
                (cid,),
            ).fetchone()
            if local is not None and (not local[0] or (local[1] or 0) >= uid):
                continue  # ours is newer (not uploaded yet), or this entry is already applied
            same = local is not None and tuple(local[2:]) == (due_at, note, author, written_at)
            tx.execute(
                "INSERT INTO followups(conversation_id, due_at, note, author, set_at, uploaded, uid) "
                "VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT(conversation_id) DO UPDATE SET "
                "due_at = excluded.due_at, note = excluded.note, author = excluded.author, "
                "set_at = excluded.set_at, uploaded = 1, uid = excluded.uid",
                (cid, due_at, note, author, written_at, uid),
            )
            if same:
                continue  # our own entry coming back
            if tx.execute("SELECT 1 FROM conversations WHERE id = ?", (cid,)).fetchone() is None:
                # Not threaded here yet (a new teammate's or a rebuilt cache's first sync: the
                # queue is built after the team's state is read): kept, and no news.
                continue
            changed.append(str(cid))
            if author != me:
                replaced = str(local[4] or "") if local is not None and local[2] else ""
                received.append(Received(str(cid), str(author), due_at, str(note), replaced))
    return changed, received


def exchange(imap: IMAPClient, db: Database, account: AccountConfig) -> tuple[list[str], list[Received]]:
    """Share this client's follow-ups and take the team's (see the module doc)."""
    return statefolder.exchange(imap, db, account, upload_pending, take_newest, "follow-up(s)")
