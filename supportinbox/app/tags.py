"""Tagging a conversation: the one home of this use case, for the command line (``tag``) and
the app's key.

The tags change in the cache at once and the change is shared with the team through the
state folder when the server answers; otherwise the next sync shares it
(:mod:`supportinbox.team.tags`).
"""

from __future__ import annotations

from dataclasses import dataclass

from supportinbox.app.context import AccountContext
from supportinbox.domain.tags import TagChange
from supportinbox.store import tags as store_tags
from supportinbox.store.conversations import resolve_id
from supportinbox.team.share import share_now, waiting
from supportinbox.team.tags import upload_pending


@dataclass(frozen=True)
class Tagged:
    """What a tag change did: the tags now, and whether the team has it yet."""

    conversation_id: str
    tags: list[str]
    online: bool
    message: str


def tag(
    ctx: AccountContext,
    conversation_id: str,
    change: TagChange,
    *,
    share: bool = True,
    password: str | None = None,
) -> Tagged:
    """Change a conversation's tags here and share the change when online.

    ``share=False``: the account has no team server to tell (the demo), so nothing waits
    for a sync.
    """
    db, account = ctx.db, ctx.account
    ident = resolve_id(db, conversation_id)
    tags = store_tags.change_tags(db, ident, change, agent=account.agent, now=ctx.now())
    what = f"{ident} tags: {' '.join(tags) or '(none)'}"
    if not share:
        return Tagged(ident, tags, True, what)
    why = share_now(
        ctx.account_name, account, lambda imap: upload_pending(imap, db, account), password=password
    )
    return Tagged(ident, tags, why is None, waiting(what, why))


def said(result: Tagged) -> str:
    """What a tag change did, in a few words for a toast."""
    what = f"Tags: {' '.join(result.tags)}" if result.tags else "No tags"
    return what + ("" if result.online else " here; the next sync shares it")
