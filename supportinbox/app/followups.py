"""Setting a follow-up: the one home of this use case, for the command line (``followup``)
and the app's key.

The follow-up is set in the cache at once (the conversation comes back at ``due_at`` with
its note as the reason) and shared with the team through the state folder when the server
answers; otherwise the next sync shares it (:mod:`supportinbox.team.followups`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from supportinbox.app.context import AccountContext
from supportinbox.domain.when import when_words
from supportinbox.store import followups as store_followups
from supportinbox.store.conversations import resolve_id
from supportinbox.team.followups import upload_pending
from supportinbox.team.share import share_now, waiting


@dataclass(frozen=True)
class Shared:
    """What setting a follow-up did. ``online`` is False when it waits for the next sync."""

    conversation_id: str
    message: str
    online: bool
    due_at: datetime | None = None


def set_followup(
    ctx: AccountContext,
    conversation_id: str,
    due_at: datetime | None,
    note: str | None = None,
    *,
    share: bool = True,
    password: str | None = None,
) -> Shared:
    """Set (``due_at`` ``None``: clear) a conversation's follow-up and share it when online.

    ``note`` ``None``: a follow-up in force keeps what was promised when only its time moves.
    ``share=False``: the account has no team server to tell (the demo), so nothing waits
    for a sync. May run in a worker thread.
    """
    db, account = ctx.db, ctx.account
    ident = resolve_id(db, conversation_id)
    if note is None:
        note = (store_followups.active_note(db.conn, ident) or "") if due_at is not None else ""
    store_followups.set_followup(db, ident, due_at, note, agent=account.agent, now=ctx.now())
    what = f"follow-up on {ident} for {when_words(due_at)}" if due_at else f"follow-up on {ident} cleared"
    if not share:
        return Shared(ident, what, True, due_at)
    why = share_now(
        ctx.account_name, account, lambda imap: upload_pending(imap, db, account), password=password
    )
    return Shared(ident, waiting(what, why), why is None, due_at)


def said(result: Shared) -> str:
    """What setting a follow-up did, in a few words for a toast."""
    what = f"Follow-up {when_words(result.due_at)}" if result.due_at else "Follow-up removed"
    return what + ("" if result.online else " here; the next sync shares it")
