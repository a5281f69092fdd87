"""Read and unread: ``\\Seen`` on a conversation's messages (when: :mod:`supportinbox.app.read_state`).

Marking changes the cache at once and queues the same flag change for the server
(``pending_ops``), which the next sync (or the app's quick push) sends, exactly like the
other changes made offline. Only ``unread_count`` depends on ``\\Seen``, so the queue row
is updated in the same transaction and a queue that was up to date stays so: reading a
conversation costs no recompute of the whole mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass

from supportinbox.config import AccountConfig, Config
from supportinbox.store import pending
from supportinbox.store.conversations import resolve_id
from supportinbox.store.db import Database
from supportinbox.store.messages import change_flags
from supportinbox.store.triage_fresh import keeping_current

SEEN = "\\Seen"


@dataclass(frozen=True)
class ReadChange:
    """What a mark changed: the conversation and how many messages."""

    conversation_id: str
    changed: int
    read: bool


def mark_read(
    db: Database, conversation_id: str, *, read: bool, config: Config, account: AccountConfig
) -> ReadChange:
    """Mark every message of the conversation read, or its latest message from them unread.

    Unread is what mail clients do: the newest message of the customer's side (not ours)
    loses ``\\Seen``, so the conversation shows one unread message again.
    """
    ident = resolve_id(db, conversation_id)
    rows = db.conn.execute(
        "SELECT m.id, f.name, f.role, m.uid, m.flags, m.date, m.internaldate FROM messages m "
        "JOIN folders f ON f.id = m.folder_id WHERE m.conversation_id = ? ORDER BY m.date, m.id",
        (ident,),
    ).fetchall()
    if read:
        targets = [r for r in rows if SEEN not in str(r["flags"]).split()]
    else:
        theirs = [r for r in rows if r["role"] != "sent"]
        targets = [theirs[-1]] if theirs and SEEN in str(theirs[-1]["flags"]).split() else []
    if not targets:
        return ReadChange(ident, 0, read)
    with db.transaction() as conn, keeping_current(db, config, account):
        for rowid, folder, _role, uid, _flags, _date, _arrived in targets:
            change_flags(conn, rowid, add=[SEEN] if read else [], remove=[] if read else [SEEN])
            pending.enqueue(
                conn,
                "add_flags" if read else "remove_flags",
                {"folder": folder, "uid": int(uid), "flags": [SEEN]},
            )
        conn.execute(
            "UPDATE conversations SET unread_count = (SELECT COUNT(*) FROM messages m "
            "JOIN folders f ON f.id = m.folder_id WHERE m.conversation_id = ? AND f.role != 'sent' "
            "AND (' ' || m.flags || ' ') NOT LIKE '% \\Seen %') WHERE id = ?",
            (ident, ident),
        )
    return ReadChange(ident, len(targets), read)
