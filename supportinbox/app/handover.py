"""Handing a conversation over: to a teammate (assign) or to someone outside the team (forward).

The one home of both use cases, for the command line and the app. A hand-over is recorded on
the conversation as a note the team sees, and the queue counts changes of hands ("handed
over 2×": the practice is at most once). A forward goes through the outbox like a reply (never
lost, never sent twice); the customer's thread is not touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from supportinbox.app import team_actions
from supportinbox.app.context import AccountContext
from supportinbox.mail import forwarding

# A hand-over to a teammate is the team action itself (claim replaced, the change of hands
# recorded as a note): one definition, named here with the forward.
assign = team_actions.assign


@dataclass(frozen=True)
class Forward:
    """A forward written but not yet queued: what it says and to whom (for a confirmation)."""

    conversation_id: str
    count: int  # messages forwarded
    message: EmailMessage
    note: str

    @property
    def to_address(self) -> str:
        return str(self.message["To"].addresses[0].addr_spec)

    @property
    def said(self) -> str:
        """``Forwarded to ADDR (N messages)``: what the note on the conversation says."""
        plural = "" if self.count == 1 else "s"
        return f"Forwarded to {self.to_address} ({self.count} message{plural})"


@dataclass(frozen=True)
class Queued:
    """A forward in the outbox, recorded on the conversation."""

    forward: Forward
    outbox_id: int
    recorded_online: bool  # the note reached the team already (else: with the next share/sync)


def write_forward(
    ctx: AccountContext,
    conversation_id: str,
    to: str,
    *,
    note: str = "",
    excerpt: int | None = None,
    attachments: forwarding.AttachmentFetch | None = None,
) -> Forward:
    """The forward of the conversation (its last ``excerpt`` messages) to ``to``, not yet queued.

    ``attachments``: how to fetch the messages' files, which then go with it (else only named).
    """
    ident, count, msg = forwarding.build(
        ctx.db, ctx.account, conversation_id, to, note=note, excerpt=excerpt, now=ctx.now(), fetch=attachments
    )
    return Forward(ident, count, msg, note)


def queue_forward(
    ctx: AccountContext, forward: Forward, *, share: bool = True, password: str | None = None
) -> Queued:
    """Put the forward in the outbox and record it on the conversation as a note for the team."""
    outbox_id = forwarding.queue(ctx.db, forward.message)
    text = forward.said + (f": {forward.note}" if forward.note else "")
    recorded = team_actions.add_note(ctx, forward.conversation_id, text, password=password, share=share)
    return Queued(forward, outbox_id, recorded.online)
