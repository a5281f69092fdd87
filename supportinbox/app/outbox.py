"""Queueing a reply and sending the replies in the outbox: the one home of these use cases, for
the command line and the app.

Every send runs the team's pre-send checks (:func:`supportinbox.team.collision.send_checks`):
they are chosen here, so no caller can send with fewer. ``anyway`` is the user's "send it
anyway" (``--force``, ``team send-anyway``, the Outbox screen's S): it leaves out only the
teammate check.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from supportinbox.app.context import AccountContext
from supportinbox.app.read_state import read_on_reply
from supportinbox.app.team_actions import add_note, server_state
from supportinbox.errors import NotFound, UserError
from supportinbox.mail import drafts
from supportinbox.mail.outbox import SendReport, send_due
from supportinbox.store import outbox as outbox_store
from supportinbox.team.collision import MAIL_GONE, send_anyway_checks, send_checks
from supportinbox.team.store import local_state

if TYPE_CHECKING:
    from supportinbox.mail.drafts import Draft


def send(
    ctx: AccountContext,
    *,
    ids: Collection[int] | None = None,
    anyway: bool = False,
    force: bool = False,
    held: bool = False,
    password: str | None = None,
) -> SendReport:
    """Send the replies that are due (``ids`` only, when given); see :func:`send_due` for
    ``force`` and ``held``.

    A reply sent ``anyway`` over a teammate's claim leaves a note on the conversation, shared
    with the team: the teammate who holds it learns at their next sync that it was answered.
    The note names who holds it when it went out, as the server says (the cache when the
    server cannot be asked): none when it was handed to us meanwhile, the new holder when it
    was handed on; released meanwhile, it says whom the reply had been held for.
    """
    over_claims = _held_by_teammates(ctx, ids) if anyway else {}
    report = send_due(
        ctx.db,
        ctx.account_name,
        ctx.account,
        checks=send_anyway_checks() if anyway else send_checks(),
        force=force,
        ids=ids,
        password=password,
        held=held,
    )
    for outcome in report.outcomes:
        held_for = over_claims.get(outcome.outbox_id)
        if held_for is not None and outcome.status.went_out:
            conversation_id, held_for_whom = held_for
            fresh = None
            with contextlib.suppress(UserError):
                fresh = server_state(ctx, conversation_id, password=password)
            state = fresh if fresh is not None else local_state(ctx.db.conn, conversation_id)
            me = ctx.account.agent
            if state.assigned_to == me:
                continue  # handed to us since it was held: nobody else holds it
            if state.assigned_to:
                text = f"Replied although {state.assigned_to} holds this conversation (sent anyway by {me})."
            else:  # released since: nobody to tell that they hold it
                text = f"Sent anyway by {me}: the reply had been held for {held_for_whom}."
            with contextlib.suppress(UserError):
                add_note(ctx, conversation_id, text, password=password)
    return report


def _held_by_teammates(ctx: AccountContext, ids: Collection[int] | None) -> dict[int, tuple[str, str]]:
    """Of the replies ``ids``, those held for a teammate: their conversation and the teammate."""
    held: dict[int, tuple[str, str]] = {}
    for outbox_id in ids or ():
        row = outbox_store.get(ctx.db.conn, outbox_id)
        if row is None or not row.conversation_id or not row.held_by:
            continue
        if row.held_by not in (MAIL_GONE, ctx.account.agent):
            held[outbox_id] = (row.conversation_id, row.held_by)
    return held


def queue(
    ctx: AccountContext,
    draft: drafts.Draft,
    msg: EmailMessage,
    *,
    undo_seconds: float = 0.0,
    send_at: datetime | None = None,
) -> int:
    """Put the reply in the outbox, due after ``undo_seconds`` or at ``send_at`` (see
    :func:`supportinbox.mail.drafts.queue_draft`), and mark the conversation read as the
    account wants it (``ui.mark_read``); its outbox id."""
    outbox_id = drafts.queue_draft(ctx.db, draft, msg, undo_seconds, send_at=send_at)
    # The reply is in the outbox now: a conversation that left the mailbox meanwhile has
    # nothing to mark read, and must not make the queued reply look failed.
    with contextlib.suppress(NotFound):
        read_on_reply(ctx, draft.conversation_id)
    return outbox_id


def reopen(ctx: AccountContext, outbox_id: int, *, templates_dir: Path | None = None) -> Draft:
    """A reply the outbox keeps for the user (a draft kept because the customer wrote first,
    or one held for a teammate) as a draft again: its text, answering the customer's latest
    message.

    Nothing changes in the outbox: the old reply is dropped by :func:`replace` when the new
    one goes out or is scheduled, so an edit given up never loses it.
    """
    from supportinbox.mail.outbox import reply_text

    row = outbox_store.get(ctx.db.conn, outbox_id)
    if row is None:
        raise NotFound(f"no reply #{outbox_id} in the outbox")
    if row.conversation_id is None:
        raise UserError(f"#{outbox_id} is a forward, not a reply: discard it and forward again")
    if row.status not in outbox_store.CANCELLABLE:
        raise UserError(f"reply #{outbox_id} is {row.status}: it can no longer be edited")
    if row.status not in outbox_store.ON_REQUEST:
        # A queued or failed reply may leave by itself meanwhile: editing a copy could send two.
        raise UserError(
            f"reply #{outbox_id} is {row.status} and may still leave by itself: only a kept draft "
            "or a held reply is edited again (discard this one to write it anew)"
        )
    _, text = reply_text(row)

    def prepared(template: str | None) -> Draft:
        return drafts.prepare_draft(
            ctx.db,
            ctx.config,
            ctx.account,
            str(row.conversation_id),
            template,
            templates_dir=templates_dir,
            today=ctx.now().date(),
            now=ctx.now(),
        )

    try:
        # The template it was written from still decides what follows (status, follow-up).
        draft = prepared(row.template or None)
    except UserError:
        draft = prepared(None)  # the template is gone or broken now: the text is what counts
    return drafts.with_body(draft, text)


def replace(ctx: AccountContext, old_id: int, new_id: int) -> None:
    """The edited copy ``new_id`` of a reopened reply takes its place: the old one is dropped
    (before the copy is sent, or once it is scheduled). Should the old one have started to
    send meanwhile (sent by hand elsewhere), the copy is dropped instead: never two replies."""
    from supportinbox.mail.outbox import cancel

    if not cancel(ctx.db, old_id):
        cancel(ctx.db, new_id)
        raise UserError(
            f"reply #{old_id} was sent meanwhile, so its edited copy #{new_id} was not: "
            "see the outbox ('supportinbox outbox')"
        )
