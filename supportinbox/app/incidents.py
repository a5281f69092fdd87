"""Closing an incident by hand: the one home of this use case (``incident close``).

The incident is closed in the cache at once (its conversations go back to their own place
in the queue) and shared with the team through the state folder when the server answers;
otherwise the next sync shares it (:mod:`supportinbox.team.incidents`).
"""

from __future__ import annotations

from dataclasses import dataclass

from supportinbox.app.context import AccountContext
from supportinbox.store import incidents as store_incidents
from supportinbox.store.incidents import IncidentSummary
from supportinbox.team.incidents import upload_pending
from supportinbox.team.share import share_now, waiting


@dataclass(frozen=True)
class Closed:
    """What closing an incident did. ``online`` is False when the team hears at the next sync."""

    incident: IncidentSummary
    message: str
    online: bool


def close(ctx: AccountContext, incident_id: str, *, password: str | None = None) -> Closed:
    """Close ``incident_id`` here and for the team."""
    db, account = ctx.db, ctx.account
    incident = store_incidents.close_incident(db, incident_id, ctx.now(), agent=account.agent)
    what = f"incident {incident.id} closed ({incident.members} conversations keep their own urgency)"
    why = share_now(
        ctx.account_name, account, lambda imap: upload_pending(imap, db, account), password=password
    )
    return Closed(incident, waiting(what, why), why is None)
