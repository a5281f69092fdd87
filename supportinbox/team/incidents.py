"""Incidents closed by hand, between teammates: through the state folder.

Each client finds incidents in its own copy of the mailbox (the same mail gives the same
incident id everywhere); closing one by hand is a decision for the whole team. A close made
here (``incident_closes.uploaded = 0``, also when made offline) is APPENDed to the state
folder as an ``incident`` entry; a teammate's entry closes the incident here as soon as this
copy has found it active (asked again at every sync until then). No keyword is involved.
"""

from __future__ import annotations

from dataclasses import dataclass

from imapclient import IMAPClient

from supportinbox.config import AccountConfig
from supportinbox.store.db import Database
from supportinbox.store.incidents import close_from_team
from supportinbox.team import statefolder


@dataclass(frozen=True)
class Received:
    """A teammate's close taken into this cache."""

    incident_id: str
    author: str
    title: str


def upload_pending(imap: IMAPClient, db: Database, account: AccountConfig) -> int:
    """APPEND every incident closed here since the last sync and not on the server yet; return how many."""
    rows = db.conn.execute(
        "SELECT incident_id, closed_at, author FROM incident_closes WHERE uploaded = 0 ORDER BY closed_at"
    ).fetchall()
    if not rows:
        return 0
    statefolder.read_before_sharing(imap, db, account)
    shared = 0
    for ident, closed_at, author in rows:
        writer = str(author) or account.agent
        if not statefolder.is_shared(db.conn, statefolder.INCIDENT, str(ident), writer, str(closed_at)):
            raw = statefolder.build_incident_message(account, writer, str(ident), closed_at)
            statefolder.append_message(imap, raw)
            shared += 1
        with db.transaction() as tx:
            tx.execute(
                "UPDATE incident_closes SET uploaded = 1 WHERE incident_id = ? AND closed_at = ?",
                (ident, closed_at),
            )
    return shared


def take_closes(db: Database, me: str) -> tuple[list[str], list[Received]]:
    """Close here every active incident a teammate closed; the ids closed, and by whom."""
    entries = db.conn.execute(
        "SELECT l.conversation_id, l.snoozed_until, l.author, i.title FROM team_state_log l "
        "JOIN incidents i ON i.id = l.conversation_id "
        "WHERE l.kind = ? AND i.status = 'active' ORDER BY l.uid",
        (statefolder.INCIDENT,),
    ).fetchall()
    closed: list[str] = []
    received: list[Received] = []
    with db.transaction() as tx:
        for ident, closed_at, author, title in entries:
            if close_from_team(tx, str(ident), str(closed_at)):
                closed.append(str(ident))
                if author != me:
                    received.append(Received(str(ident), str(author), str(title)))
    return closed, received


def exchange(imap: IMAPClient, db: Database, account: AccountConfig) -> tuple[list[str], list[Received]]:
    """Share the incidents closed here and take the team's closes (see the module doc)."""
    return statefolder.exchange(imap, db, account, upload_pending, take_closes, "incident close(s)")
