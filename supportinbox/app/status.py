"""Setting a conversation's status by hand (open, pending, snoozed, closed): the one home of
this use case, for the command line (``status``, ``snooze``) and the app's keys.

The status changes in the cache at once, by this agent, at the context's clock; telling the
team is a separate step (:func:`supportinbox.app.team_actions.push_state`), which the command
line takes at once and the app in the background.
"""

from __future__ import annotations

from datetime import datetime

from supportinbox.app.context import AccountContext
from supportinbox.domain.conversation import ConversationSummary
from supportinbox.store import conversations


def set_status(
    ctx: AccountContext, conversation_id: str, status: str, *, snoozed_until: datetime | None = None
) -> ConversationSummary:
    """Set the status (``snoozed`` needs ``snoozed_until`` ahead); the conversation as it is now."""
    return conversations.set_status(
        ctx.db,
        conversation_id,
        status,
        agent=ctx.account.agent,
        snoozed_until=snoozed_until,
        now=ctx.now(),
    )
