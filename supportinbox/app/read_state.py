"""Read and unread: the one home of these use cases, for the command line (``show``, ``mark``,
``reply``) and the app (opening a conversation, its key, a reply).

The account's ``ui.mark_read`` decides when opening or answering a conversation marks it
read; :func:`supportinbox.store.readstate.mark_read` changes the cache and queues the flag
change for the server.
"""

from __future__ import annotations

from supportinbox.app.context import AccountContext
from supportinbox.store import readstate
from supportinbox.store.readstate import ReadChange


def mark_read(ctx: AccountContext, conversation_id: str, read: bool) -> ReadChange:
    """Mark every message of the conversation read, or its latest message from them unread."""
    return readstate.mark_read(ctx.db, conversation_id, read=read, config=ctx.config, account=ctx.account)


def read_on_open(ctx: AccountContext, conversation_id: str) -> ReadChange | None:
    """Opening a conversation (the app, ``show``) marks it read when ``ui.mark_read = "open"``."""
    if ctx.config.ui.mark_read != "open":
        return None
    return mark_read(ctx, conversation_id, True)


def read_on_reply(ctx: AccountContext, conversation_id: str) -> ReadChange | None:
    """Replying marks the conversation read, unless ``ui.mark_read = "never"``."""
    if ctx.config.ui.mark_read == "never":
        return None
    return mark_read(ctx, conversation_id, True)
