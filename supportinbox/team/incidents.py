"""Incidents closed by hand, between teammates: through the state folder.

Each client finds incidents in its own copy of the mailbox (the same mail gives the same
incident id everywhere); closing one by hand is a decision for the whole team. A close made
here (``incident_closes.uploaded = 0``, also when made offline) is APPENDed to the state
folder as an ``incident`` entry with its reports' Message-IDs; a teammate's entry closes the
incident here as soon as this copy has found it active (asked again at every sync until
then), under the same id or holding one of those reports: a copy that never saw the first
report (deleted before it synced) names the incident after its second. No keyword is involved.
"""

from __future__ import annotations

from dataclasses import dataclass

from imapclient import IMAPClient

from supportinbox.config import AccountConfig
from supportinbox.store.db import Database
from supportinbox.store.incidents import active_holding, close_from_team, report_ids
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
            members = report_ids(db.conn, str(ident))
            raw = statefolder.build_incident_message(account, writer, str(ident), closed_at, members)
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
    entries = statefolder.log_entries(db.conn, kinds=(statefolder.INCIDENT,)).items()
    active = {
        str(ident): str(title)
        for ident, title in db.conn.execute("SELECT id, title FROM incidents WHERE status = 'active'")
    }
    if not active:
        return [], []
    closed: list[str] = []
    received: list[Received] = []
    with db.transaction() as tx:
        for ident, logged in entries:
            for entry in logged:
                held = active_holding(tx, statefolder.incident_members(entry))
                for here in dict.fromkeys([ident, *held]):
                    if here in active and close_from_team(tx, here, entry.state.snoozed_until or ""):
                        closed.append(here)
                        if entry.author != me:
                            received.append(Received(here, entry.author, active[here]))
    return closed, received


def exchange(imap: IMAPClient, db: Database, account: AccountConfig) -> tuple[list[str], list[Received]]:
    """Share the incidents closed here and take the team's closes (see the module doc)."""
    return statefolder.exchange(imap, db, account, upload_pending, take_closes, "incident close(s)")
