"""Rescuing a customer from the spam folder, and sending spam back there: the one home of
these use cases, for the command line (``junk rescue``, ``junk move``) and the app.

Both move a message on the server (``MOVE`` when the server has it, else ``COPY``, flag
``\\Deleted`` and ``UID EXPUNGE`` of just that message), set the junk keywords mail clients
and filters learn from (``$NotJunk`` / ``$Junk``), then sync the two folders so the cache
and the conversations (and spam verdicts) reflect the move at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient import exceptions as imap_errors

from supportinbox.app.context import AccountContext
from supportinbox.app.sync import fetch, refresh_queue
from supportinbox.config import AccountConfig
from supportinbox.errors import ConnectionFailed, NotFound, SyncBusy, UserError
from supportinbox.mail.imap import (
    NETWORK_ERRORS,
    connect,
    describe_network_error,
    discover_folders,
    flag_and_move,
    logout,
    message_id_at,
)
from supportinbox.store import pending
from supportinbox.store.conversations import resolve_id
from supportinbox.store.db import Database
from supportinbox.store.junk import JunkSuspect, get_junk_message, queued_rescues
from supportinbox.sync.hooks import SyncHook

JUNK = "$Junk"
NOT_JUNK = "$NotJunk"


@dataclass(frozen=True)
class MoveResult:
    """What a rescue or a spam report did. ``synced`` is False if the cache could not catch up."""

    moved: int
    conversation_id: str | None
    synced: bool
    note: str = ""
    queued: bool = False  # offline: the move waits in the queue for the next sync
    # The status set by hand (closed, pending, snoozed) the rescue lifted: the rescued
    # message had not been seen when it was set ("" when nothing was lifted).
    reopened: str = ""

    def describe_reopened(self) -> str:
        """``it was closed: open again, this message had not been seen``; "" when not reopened."""
        if not self.reopened:
            return ""
        return f"it was {self.reopened}: open again, this message had not been seen"


def move_message(
    imap: IMAPClient,
    source: str,
    dest: str,
    uids: Sequence[int],
    *,
    add: Sequence[str],
    remove: Sequence[str],
) -> None:
    """Flag ``uids`` in ``source`` and move them to ``dest`` (flags travel with the message)."""
    capabilities = tuple(imap.capabilities())
    imap.select_folder(source)
    flag_and_move(imap, uids, dest, add=add, remove=remove, capabilities=capabilities)


def _sync_after(ctx: AccountContext, password: str | None, hooks: Sequence[SyncHook]) -> str:
    try:
        fetch(ctx, password=password, hooks=hooks, folders=["inbox", "junk"])
    except SyncBusy:
        return "another sync is running; the local view updates when it finishes"
    refresh_queue(ctx)
    return ""


def _imap_failure(exc: Exception, account_name: str, account: AccountConfig, what: str) -> UserError:
    if isinstance(exc, NETWORK_ERRORS):
        return describe_network_error(exc, account, account_name)
    first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return ConnectionFailed(f"the IMAP server refused to {what} ({first}); nothing was changed locally")


def rescue(
    ctx: AccountContext,
    uid: int,
    *,
    password: str | None = None,
    hooks: Sequence[SyncHook] = (),
) -> MoveResult:
    """Move spam-folder message ``uid`` to the inbox as not-junk; it joins its conversation.

    Without a connection to the server the rescue is queued (like a status change made
    offline) and happens at the start of the next sync; the result says so.
    """
    message = get_junk_message(ctx.db, uid)
    try:
        imap = connect(ctx.account_name, ctx.account, password=password)
    except ConnectionFailed as exc:
        return _queue_rescue(ctx.db, message, exc.message)
    try:
        roles = discover_folders(imap, ctx.account)
        imap.select_folder(message.folder)
        try:
            found = message_id_at(imap, uid)
        except LookupError:
            raise NotFound(f"message {uid} is no longer on the server: sync, then try again") from None
        expected = (message.message_id or "").lower() or None
        if expected is not None and found != expected:
            raise NotFound(f"message {uid} in {message.folder} changed on the server: sync, then try again")
        move_message(imap, message.folder, roles.inbox, [uid], add=[NOT_JUNK], remove=[JUNK])
    except (imap_errors.IMAPClientError, *NETWORK_ERRORS) as exc:
        raise _imap_failure(exc, ctx.account_name, ctx.account, "move the message") from None
    finally:
        logout(imap)
    note = _sync_after(ctx, password, hooks)
    conversation = _in_inbox(ctx.db, message.message_id) if message.message_id else None
    reopened = "" if conversation is None else _reopen(ctx, conversation, message.message_id or "")
    return MoveResult(moved=1, conversation_id=conversation, synced=not note, note=note, reopened=reopened)


def _in_inbox(db: Database, message_id: str) -> str | None:
    """The conversation of the inbox message ``message_id``, once it is in the cache."""
    row = db.conn.execute(
        "SELECT m.conversation_id FROM messages m JOIN folders f ON f.id = m.folder_id "
        "WHERE f.role = 'inbox' AND m.message_id = ? AND m.conversation_id IS NOT NULL LIMIT 1",
        (message_id,),
    ).fetchone()
    return None if row is None else str(row[0])


def reopen_queued_rescues(ctx: AccountContext) -> list[tuple[str, str]]:
    """Reopen the conversations that rescues queued offline joined, now that a sync has done
    the moves and fetched the messages (as :func:`rescue` does at once when online).

    Returns (conversation, status lifted) for each reopened; a rescued message not in the
    inbox cache yet waits for the next sync.
    """
    waiting = pending.rescued(ctx.db.conn)
    if not waiting:
        return []
    done: list[str] = []
    reopened: list[tuple[str, str]] = []
    for message_id in waiting:
        conversation = _in_inbox(ctx.db, message_id)
        if conversation is None:
            continue
        done.append(message_id)
        with contextlib.suppress(NotFound):
            lifted = _reopen(ctx, conversation, message_id)
            if lifted:
                reopened.append((conversation, lifted))
    with ctx.db.transaction() as conn:
        pending.forget_rescued(conn, done)
    return reopened


def _reopen(ctx: AccountContext, conversation_id: str, message_id: str) -> str:
    """Open the conversation a rescued customer message joined, if a status set by hand hides it.

    The message is older than that status (it waited in the spam folder), so by its date it
    would never reopen the conversation: closed, pending or snoozed, nobody would read it.
    Not when we answered after it. Returns the status lifted ("" when none was).
    """
    from supportinbox.app import team_actions
    from supportinbox.app.status import set_status
    from supportinbox.store.conversations import get_conversation

    detail = get_conversation(ctx.db, conversation_id, ctx.now())
    status = detail.summary.status
    if status not in ("closed", "pending", "snoozed"):
        return ""
    wanted = message_id.lower()
    rescued = next(
        (m for m in detail.messages if (m.message_id or "").lower() == wanted and m.folder_role == "inbox"),
        None,
    )
    if rescued is None or rescued.from_us or rescued.automated:
        return ""
    if any(m.from_us and not m.automated and (m.date or "") >= (rescued.date or "") for m in detail.messages):
        return ""  # answered after it
    set_status(ctx, conversation_id, "open")
    with contextlib.suppress(UserError):  # kept here then: the next sync shares it
        team_actions.push_state(ctx, conversation_id)
    return status


def _queue_rescue(db: Database, message: JunkSuspect, reason: str) -> MoveResult:
    """Queue the flag changes and the move of a rescue for the next sync."""
    row = db.conn.execute("SELECT name FROM folders WHERE role = 'inbox'").fetchone()
    if row is None:
        raise ConnectionFailed(f"{reason}; the rescue cannot be queued before a first sync")
    offline = f"offline ({reason.rstrip('.')})"
    if (message.folder, message.uid) in queued_rescues(db.conn):
        note = f"{offline}: this rescue is already queued and happens at the next sync"
        return MoveResult(moved=0, conversation_id=None, synced=False, note=note, queued=True)
    # One operation: the flags change only if the UID still names this message, then it moves.
    move: dict[str, object] = {
        "folder": message.folder,
        "uid": message.uid,
        "dest": str(row[0]),
        "add_flags": [NOT_JUNK],
        "remove_flags": [JUNK],
        "rescue": True,
    }
    if message.message_id:
        move["message_id"] = message.message_id
    with db.transaction() as conn:
        pending.enqueue(conn, "move", move)
    note = f"{offline}: the rescue is queued and happens at the next sync"
    return MoveResult(moved=0, conversation_id=None, synced=False, note=note, queued=True)


def report_spam(
    ctx: AccountContext,
    conversation_id: str,
    *,
    password: str | None = None,
    hooks: Sequence[SyncHook] = (),
) -> MoveResult:
    """Move the customer messages of a conversation from the inbox to the spam folder as ``$Junk``."""
    ident = resolve_id(ctx.db, conversation_id)
    rows = ctx.db.conn.execute(
        "SELECT f.name, m.uid FROM messages m JOIN folders f ON f.id = m.folder_id "
        "WHERE m.conversation_id = ? AND f.role = 'inbox' ORDER BY m.uid",
        (ident,),
    ).fetchall()
    if not rows:
        raise NotFound(f"conversation {ident} has no message in the inbox to move to Junk")
    imap = connect(ctx.account_name, ctx.account, password=password)
    try:
        roles = discover_folders(imap, ctx.account)
        if roles.junk is None:
            raise UserError("no Junk folder on the server: set junk_folder in the config")
        by_folder: dict[str, list[int]] = {}
        for folder, uid in rows:
            by_folder.setdefault(str(folder), []).append(int(uid))
        for folder, uids in by_folder.items():
            move_message(imap, folder, roles.junk, uids, add=[JUNK], remove=[NOT_JUNK])
    except (imap_errors.IMAPClientError, *NETWORK_ERRORS) as exc:
        raise _imap_failure(exc, ctx.account_name, ctx.account, "move the conversation") from None
    finally:
        logout(imap)
    note = _sync_after(ctx, password, hooks)
    return MoveResult(moved=len(rows), conversation_id=ident, synced=not note, note=note)
