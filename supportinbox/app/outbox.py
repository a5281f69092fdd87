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
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from supportinbox.app.context import AccountContext
from supportinbox.app.read_state import read_on_reply
from supportinbox.app.team_actions import add_note, server_state
from supportinbox.domain.when import as_utc, parse_time, when_words
from supportinbox.errors import NotFound, UserError
from supportinbox.mail import drafts
from supportinbox.mail.edits import EditLock
from supportinbox.mail.outbox import SendReport, SendStatus, reply_text, send_due
from supportinbox.mail.signatures import without_signature
from supportinbox.store import outbox as outbox_store
from supportinbox.store.outbox import OutboxRow, OutboxStatus
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
    if anyway:
        _keep_anyway(ctx, ids or ())
    over_claims = _held_by_teammates(ctx, ids)
    report = send_due(
        ctx.db,
        ctx.account_name,
        ctx.account,
        checks=send_anyway_checks() if anyway else send_checks(),
        anyway_checks=send_anyway_checks(),
        force=force,
        ids=ids,
        password=password,
        held=held,
        superseded=lambda row: _answered_since(ctx, row),
        held_beside=lambda row: _held_beside(ctx, row),
    )
    if anyway:
        _keep_anyway(ctx, [o.outbox_id for o in report.outcomes if o.status == SendStatus.FAILED])
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


def _answered_since(ctx: AccountContext, row: OutboxRow) -> str | None:
    """Why a reply that failed for good would answer its customer a second time if sent now:
    a reply of ours went to them after it was written, and they have not written since
    (the question a second reply asks, :func:`~supportinbox.mail.drafts.earlier_reply`)."""
    if not row.conversation_id:
        return None  # a forward
    try:
        earlier = drafts.earlier_reply(ctx.db, ctx.account, row.conversation_id)
    except NotFound:
        return None
    # At or after: times are whole seconds, and a script may send again within the same one.
    if earlier is None or earlier.outbox_id == row.id or (earlier.when or "") < row.created_at:
        return None
    return f"{earlier.describe()} since this one failed, and the customer has not written since"


def _keep_anyway(ctx: AccountContext, ids: Collection[int]) -> None:
    """Remember the user's "send it anyway" on these replies: a retry after the mail server
    refused one (the next sync's, a plain 'outbox retry') leaves out the teammate check too,
    as the user chose, instead of holding it for the teammate they chose to answer over."""
    if not ids:
        return
    with ctx.db.transaction() as conn:
        for outbox_id in ids:
            outbox_store.mark_send_anyway(conn, outbox_id)


def _held_beside(ctx: AccountContext, row: OutboxRow) -> OutboxRow | None:
    """Another reply to ``row``'s customer held for a teammate, with the same text, which
    ``row`` would join if held too: the same reply queued twice at once (two cron jobs),
    each before the other was held. The first stays; the second is not kept
    (:func:`send_due`). A reply saying something else is held as well: its words are
    the user's, and only they can tell which one goes."""
    if not row.conversation_id:
        return None  # a forward
    try:
        first = drafts.held_reply(ctx.db, row.conversation_id, besides=row.id)
    except NotFound:
        return None
    if first is None or reply_text(first)[1] != reply_text(row)[1]:
        return None
    return first


def _held_by_teammates(ctx: AccountContext, ids: Collection[int] | None) -> dict[int, tuple[str, str]]:
    """Of the replies ``ids`` (every one waiting, when None), those sent anyway that had been
    held for a teammate: their conversation and the teammate. Kept through a send the mail
    server refused, so the retry that sends it leaves the note as the first try would have."""
    held: dict[int, tuple[str, str]] = {}
    if ids is None:
        rows = outbox_store.list_rows(ctx.db.conn, outbox_store.WAITING)
    else:
        rows = [r for i in ids if (r := outbox_store.get(ctx.db.conn, i)) is not None]
    for row in rows:
        if not row.send_anyway or not row.conversation_id or not row.held_by:
            continue
        outbox_id = row.id
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
    again: bool,
    anyway: bool = False,
    replaces: int | None = None,
) -> int:
    """Put the reply in the outbox, due after ``undo_seconds`` or at ``send_at`` (see
    :func:`supportinbox.mail.drafts.queue_draft`), and mark the conversation read as the
    account wants it (``ui.mark_read``); its outbox id. The one way a reply to a customer
    enters the outbox, from the CLI and the app alike.

    Without ``again`` (a second reply the user agreed to), only as the first reply since
    the customer last wrote (else :class:`~supportinbox.mail.drafts.RepliedMeanwhile`).
    Without ``anyway`` (sent without the teammate check), never beside a reply held for a
    teammate (else :class:`~supportinbox.mail.drafts.ReplyHeld`); ``replaces`` is the held
    reply this one is an edited copy of."""
    outbox_id = drafts.queue_draft(
        ctx.db,
        draft,
        msg,
        undo_seconds,
        send_at=send_at,
        first_for=None if again else ctx.account,
        beside_held=anyway,
        replaces=replaces,
    )
    if anyway:  # remembered from the start: a process ended in the undo window leaves it so
        _keep_anyway(ctx, [outbox_id])
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


@dataclass
class ScheduledEdit:
    """A scheduled reply open for editing: it does not leave, whatever the clock says or
    another process does, until :func:`save_edit` or :func:`give_up_edit` (or the process
    ends: the next send puts it back on its schedule as it was, see :mod:`supportinbox.mail.edits`).
    """

    outbox_id: int
    text: str  # its text as last saved
    send_at: datetime  # the time it is scheduled for
    to: str
    cc: str
    subject: str
    lock: EditLock

    @property
    def open(self) -> bool:
        """Not saved or given up yet."""
        return self.lock.held


@dataclass(frozen=True)
class SavedEdit:
    """Where an edited scheduled reply stands once saved."""

    outbox_id: int
    send_at: datetime
    due: bool  # its time came while it was open: it leaves with the next send
    kept: str = ""  # kept as a draft instead: the customer wrote again meanwhile (why)


def editable_now(row: outbox_store.OutboxRow) -> bool:
    """A scheduled reply, or one left open in an editor: edited in place (:func:`edit_scheduled`)."""
    return row.scheduled or row.status == OutboxStatus.EDITING


def edit_scheduled(ctx: AccountContext, outbox_id: int) -> ScheduledEdit:
    """Open scheduled reply ``outbox_id`` for editing: from now on nothing sends it.

    Refused when another window has it open, when it left or started to leave meanwhile,
    and when the customer wrote again since it was scheduled (it is kept as a draft then,
    which is edited as one: :func:`reopen`).
    """
    from supportinbox.store.scheduled import overtaken

    row = outbox_store.get(ctx.db.conn, outbox_id)
    if row is None:
        raise NotFound(f"no reply #{outbox_id} in the outbox")
    if not editable_now(row):
        raise UserError(f"reply #{outbox_id} is not scheduled ({row.status}): {_not_scheduled_advice(row)}")
    lock = EditLock.take(ctx.account_name, outbox_id)
    if lock is None:
        since = f" since {when_words(row.editing_since, ctx.now())}" if row.editing_since else ""
        raise UserError(
            f"reply #{outbox_id} is open in an editor in another window{since}: save or leave it there first"
        )
    try:
        if row.status == OutboxStatus.QUEUED and (reason := overtaken(ctx.db, row, ctx.now())):
            with ctx.db.transaction() as conn:
                outbox_store.mark_draft(conn, outbox_id, reason)
            raise UserError(f"reply #{outbox_id} was not edited: {reason} (edit it again to answer them)")
        with ctx.db.transaction() as conn:
            taken = outbox_store.begin_edit(conn, outbox_id, ctx.now())
        fresh = outbox_store.get(ctx.db.conn, outbox_id) if taken else None
        if fresh is None or fresh.send_at is None:
            state = fresh.status if fresh is not None else "gone"
            raise UserError(
                f"reply #{outbox_id} is no longer waiting for its time ({state}): it was not edited"
            )
    except BaseException:
        lock.release()
        raise
    msg, text = reply_text(fresh)
    return ScheduledEdit(
        outbox_id,
        text,
        as_utc(datetime.fromisoformat(fresh.send_at)),
        str(msg["To"] or ""),
        str(msg["Cc"] or ""),
        str(msg["Subject"] or ""),
        lock,
    )


def save_edit(
    ctx: AccountContext, edit: ScheduledEdit, text: str, *, send_at: datetime | None = None
) -> SavedEdit:
    """Save the edit: the reply's text (and its time, ``send_at``; kept when None) replaced
    in place, and it is scheduled again. The lock is let go either way.

    Raised when the text is empty (the edit stays open) or when the reply was discarded
    meanwhile in another window (nothing is scheduled; the text is the caller's to keep).
    """
    from supportinbox.mail.edits import rewritten
    from supportinbox.store.scheduled import overtaken

    if not edit.open:
        raise UserError(f"the edit of reply #{edit.outbox_id} was already saved or given up")
    if not without_signature(text).strip():
        raise UserError("the reply is empty: write something, or give the edit up to keep it as it was")
    try:
        row = outbox_store.get(ctx.db.conn, edit.outbox_id)
        if row is None or row.status != OutboxStatus.EDITING:
            state = row.status if row is not None else "gone"
            raise UserError(
                f"reply #{edit.outbox_id} was {state} meanwhile in another window: your edit was not saved"
            )
        # Its time kept: the one it has now.
        when = send_at or (parse_time(row.send_at) or edit.send_at)
        # Dated when it leaves, as a new scheduled reply is: the customer's client sorts it there.
        raw = rewritten(row.raw, text, date=when)
        # The customer wrote again while it was open: saved, but kept as a draft (as a
        # scheduled reply they overtook is), never sent at its time unasked.
        kept = overtaken(ctx.db, row, ctx.now()) or ""
        with ctx.db.transaction() as conn:
            saved = outbox_store.end_edit(conn, edit.outbox_id, send_at=when, raw=raw)
            if not saved:
                raise UserError(f"reply #{edit.outbox_id} was discarded meanwhile: your edit was not saved")
            if kept:
                outbox_store.mark_draft(conn, edit.outbox_id, kept)
    finally:
        edit.lock.release()
    return SavedEdit(edit.outbox_id, when, due=not kept and when <= ctx.now(), kept=kept)


def give_up_edit(ctx: AccountContext, edit: ScheduledEdit) -> bool:
    """Leave the reply as it was, on its schedule again; False when it was discarded meanwhile."""
    if not edit.open:
        return True
    try:
        with ctx.db.transaction() as conn:
            return outbox_store.end_edit(conn, edit.outbox_id)
    finally:
        edit.lock.release()


def edit_open(ctx: AccountContext, outbox_id: int) -> bool:
    """Whether reply ``outbox_id`` is open in an editor now (not merely left ``editing`` by
    a process that ended: the next send puts that one back on its schedule)."""
    lock = EditLock.take(ctx.account_name, outbox_id)
    if lock is None:
        return True
    lock.release()
    return False


def _not_scheduled_advice(row: outbox_store.OutboxRow) -> str:
    if row.status in outbox_store.ON_REQUEST:
        return "it is kept for you: edit it again to send it"
    if row.status == OutboxStatus.QUEUED:
        return "it leaves at once: discard it to write it anew"
    return "only a reply that waits for its time is edited"
