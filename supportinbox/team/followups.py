"""Follow-ups between teammates: through the state folder, the newest one wins.

A follow-up set on this client (``followups.uploaded = 0``, also when set offline) is
APPENDed to the state folder as a ``followup`` entry at the next sync. Then the folder is
read, and for each conversation the newest entry (highest UID: the server's order, the
same for every client) replaces the cached follow-up unless this client has a newer one
still to upload. No keyword is involved.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from imapclient import IMAPClient

from supportinbox.config import AccountConfig
from supportinbox.store import followups as store_followups
from supportinbox.store.conversations import resolve_id
from supportinbox.store.db import Database
from supportinbox.team import statefolder
from supportinbox.team.share import share_now, waiting

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """A teammate's follow-up taken into this cache."""

    conversation_id: str
    author: str
    due_at: str | None
    note: str


def upload_pending(imap: IMAPClient, db: Database, account: AccountConfig) -> int:
    """APPEND every follow-up set here since the last sync; return how many."""
    rows = db.conn.execute(
        "SELECT conversation_id, due_at, note, author, set_at FROM followups WHERE uploaded = 0 "
        "ORDER BY set_at, conversation_id"
    ).fetchall()
    for cid, due_at, note, author, set_at in rows:
        raw = statefolder.build_followup_message(
            account, str(author) or account.agent, str(cid), due_at, str(note), str(set_at)
        )
        statefolder.append_message(imap, raw)
        with db.transaction() as tx:
            # Changed again meanwhile (another command): that one is uploaded next time.
            tx.execute(
                "UPDATE followups SET uploaded = 1 WHERE conversation_id = ? AND set_at = ? AND uploaded = 0",
                (cid, set_at),
            )
    return len(rows)


def take_newest(db: Database, me: str) -> tuple[list[str], list[Received]]:
    """Apply the newest state-folder follow-up of each conversation to the cache.

    Returns the conversations whose follow-up changed here and the ones teammates set.
    """
    newest = db.conn.execute(
        "SELECT l.uid, l.conversation_id, l.snoozed_until, l.note, l.author, l.written_at "
        "FROM team_state_log l JOIN (SELECT conversation_id, MAX(uid) AS uid FROM team_state_log "
        "WHERE kind = 'followup' GROUP BY conversation_id) n ON n.uid = l.uid "
        # A conversation merged away: its follow-up is carried to the survivor by the refresh.
        "WHERE l.conversation_id IN (SELECT id FROM conversations) "
        "OR l.conversation_id IN (SELECT source FROM thread_overrides WHERE kind = 'merge')"
    ).fetchall()
    changed: list[str] = []
    received: list[Received] = []
    with db.transaction() as tx:
        for uid, cid, due_at, note, author, written_at in newest:
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
            changed.append(str(cid))
            if author != me:
                received.append(Received(str(cid), str(author), due_at, str(note)))
    return changed, received


def exchange(imap: IMAPClient, db: Database, account: AccountConfig) -> tuple[list[str], list[Received]]:
    """Share this client's follow-ups and take the team's (see the module doc)."""
    uploaded = upload_pending(imap, db, account)
    if uploaded:
        log.info("shared %d follow-up(s)", uploaded)
    if not statefolder.sync_log(imap, db, create=False):
        return [], []
    return take_newest(db, account.agent)


@dataclass(frozen=True)
class Shared:
    """What setting a follow-up did. ``online`` is False when it waits for the next sync."""

    conversation_id: str
    message: str
    online: bool
    due_at: datetime | None = None


def set_and_share(
    db: Database,
    account_name: str,
    account: AccountConfig,
    conversation_id: str,
    due_at: datetime | None,
    note: str = "",
    *,
    password: str | None = None,
    now: datetime | None = None,
) -> Shared:
    """Set (``due_at`` ``None``: clear) a conversation's follow-up and share it when online.

    The one home of the follow-up action for the CLI and the TUI; may run in a worker thread.
    """
    ident = resolve_id(db, conversation_id)
    store_followups.set_followup(db, ident, due_at, note, agent=account.agent, now=now)
    what = f"follow-up on {ident} for {local_time(due_at)}" if due_at else f"follow-up on {ident} cleared"
    why = share_now(account_name, account, lambda imap: upload_pending(imap, db, account), password=password)
    return Shared(ident, waiting(what, why), why is None, due_at)


def said(result: Shared) -> str:
    """What setting a follow-up did, in a few words for a toast."""
    what = f"Follow-up {local_time(result.due_at)}" if result.due_at else "Follow-up removed"
    return what + ("" if result.online else " here; the next sync shares it")


def local_time(when: datetime) -> str:
    """``Tue 8 Dec 09:00`` in the local zone."""
    local = when.astimezone()
    return f"{local:%a} {local.day} {local:%b %H:%M}"
