"""Merges and splits between teammates: through the state folder, replayed in the server's order.

A merge or split made here (``thread_overrides.uploaded = 0``, also offline) is APPENDed
as a ``merge``/``split`` entry at once when the server answers, else at the next sync.
Every client takes every entry into its ``thread_overrides`` in UID order, so all thread
the mailbox alike; the refresh that follows regroups the messages and carries the team
state of a merged conversation to the one that stays. No keyword is involved.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from imapclient import IMAPClient

from supportinbox.config import AccountConfig
from supportinbox.domain.threading import MERGE
from supportinbox.store import threadlinks
from supportinbox.store.db import Database
from supportinbox.team import statefolder

log = logging.getLogger(__name__)

_META_SEEN = "team_threads_seen_uid"


@dataclass(frozen=True)
class Received:
    """A teammate's merge or split taken into this cache."""

    conversation_id: str
    author: str
    kind: str
    target: str

    def describe(self) -> str:
        if self.kind == MERGE:
            return f"{self.author} merged it into {self.target}"
        return f"{self.author} split {self.target} off it"


def upload_pending(imap: IMAPClient, db: Database, account: AccountConfig) -> int:
    """APPEND every merge and split made here since the last sync and not on the server yet;
    return how many."""
    links = threadlinks.pending(db.conn)
    if not links:
        return 0
    statefolder.read_before_sharing(imap, db, account)
    shared = 0
    for link in links:
        writer = link.author or account.agent
        if not statefolder.is_shared(db.conn, link.kind, link.source, writer, link.token):
            change = {
                "message": link.message_id,
                "into": link.into,
                "target": link.target,
                "token": link.token,
            }
            raw = statefolder.build_thread_message(account, writer, link.kind, link.source, change, link.at)
            statefolder.append_message(imap, raw)
            shared += 1
        with db.transaction() as tx:
            threadlinks.mark_uploaded(tx, link.token)
    return shared


def take_new(db: Database, me: str) -> tuple[bool, list[Received]]:
    """Record the state folder's new merges and splits: whether any, and those teammates made."""
    seen = int(db.get_meta(_META_SEEN) or 0)
    rows = db.conn.execute(
        "SELECT uid, conversation_id, author, written_at, kind, changes FROM team_state_log "
        "WHERE kind IN ('merge', 'split') AND uid > ? ORDER BY uid",
        (seen,),
    ).fetchall()
    if not rows:
        return False, []
    received: list[Received] = []
    with db.transaction() as tx:
        for uid, cid, author, at, kind, text in rows:
            try:
                change = json.loads(str(text))
            except ValueError:
                continue
            link = threadlinks.Link(
                str(kind),
                str(change.get("message", "")),
                str(change.get("into", "")),
                str(cid),
                str(change.get("target", "")),
                str(author),
                str(at),
                str(change.get("token", "")),
            )
            if threadlinks.record(tx, link, uid=int(uid)) and author != me:
                received.append(Received(str(cid), str(author), str(kind), link.target))
        db.set_meta(_META_SEEN, str(max(int(r[0]) for r in rows)))
    return True, received


def exchange(imap: IMAPClient, db: Database, account: AccountConfig) -> tuple[bool, list[Received]]:
    """Share this client's merges and splits and take the team's (see the module doc)."""
    uploaded = upload_pending(imap, db, account)
    if uploaded:
        log.info("shared %d merge(s)/split(s)", uploaded)
    if not statefolder.sync_log(imap, db, account, create=uploaded > 0):
        return False, []
    return take_new(db, account.agent)
