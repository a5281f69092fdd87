"""Tags between teammates: changes through the state folder, replayed in the server's order.

A change made here (``tag_changes``, also offline) is APPENDed as a ``tags`` entry at the
next sync, or at once when the server answers. Every client replays every entry in UID
order and applies its own changes not seen back yet on top, so two people tagging at once
both keep their tag, and everyone ends with the same tags. No keyword is involved.
"""

from __future__ import annotations

from dataclasses import dataclass

from imapclient import IMAPClient

from supportinbox.config import AccountConfig
from supportinbox.domain.tags import TagChange
from supportinbox.store import tags as store_tags
from supportinbox.store.db import Database
from supportinbox.team import statefolder

_META_SEEN = "team_tags_seen_uid"


@dataclass(frozen=True)
class Received:
    """A teammate's tag change taken into this cache."""

    conversation_id: str
    author: str
    change: TagChange

    def describe(self) -> str:
        words = [f"+{t}" for t in self.change.add] + [f"-{t}" for t in self.change.remove]
        return f"{self.author} tagged it {' '.join(words)}"


def upload_pending(imap: IMAPClient, db: Database, account: AccountConfig) -> int:
    """APPEND every tag change made here since the last sync and not on the server yet; return how many."""
    rows = db.conn.execute(
        "SELECT id, conversation_id, added, removed, author, at, token FROM tag_changes "
        "WHERE uploaded = 0 ORDER BY id"
    ).fetchall()
    if not rows:
        return 0
    statefolder.read_before_sharing(imap, db, account)
    shared = 0
    for rowid, cid, added, removed, author, at, token in rows:
        writer = str(author) or account.agent
        if not statefolder.is_shared(db.conn, statefolder.TAGS, str(cid), writer, str(token)):
            change = TagChange(tuple(str(added).split()), tuple(str(removed).split()))
            encoded = store_tags.encode_change(change, str(token))
            statefolder.append_message(
                imap, statefolder.build_tags_message(account, writer, str(cid), encoded, str(at))
            )
            shared += 1
        with db.transaction() as tx:
            tx.execute("UPDATE tag_changes SET uploaded = 1 WHERE id = ?", (rowid,))
    return shared


def take_new(db: Database, me: str) -> tuple[list[str], list[Received]]:
    """Re-tag the conversations that have new ``tags`` entries; return them and teammates' changes."""
    seen = int(db.get_meta(_META_SEEN) or 0)
    rows = db.conn.execute(
        "SELECT uid, conversation_id, author, changes FROM team_state_log "
        "WHERE kind = 'tags' AND uid > ? ORDER BY uid",
        (seen,),
    ).fetchall()
    if not rows:
        return [], []
    changed = sorted({str(r[1]) for r in rows})
    received = []
    for _, cid, author, text in rows:
        decoded = store_tags.decode_change(str(text))
        if decoded is not None and author != me:
            received.append(Received(str(cid), str(author), decoded[0]))
    with db.transaction() as tx:
        store_tags.recompute(tx, changed)
        # Our own changes that came back are the server's now: the local copy is not needed.
        tx.execute(
            "DELETE FROM tag_changes WHERE uploaded = 1 AND token IN "
            "(SELECT json_extract(changes, '$.token') FROM team_state_log WHERE kind = 'tags')"
        )
        db.set_meta(_META_SEEN, str(max(int(r[0]) for r in rows)))
    return changed, received


def exchange(imap: IMAPClient, db: Database, account: AccountConfig) -> tuple[list[str], list[Received]]:
    """Share this client's tag changes and take the team's (see the module doc)."""
    return statefolder.exchange(imap, db, account, upload_pending, take_new, "tag change(s)")
