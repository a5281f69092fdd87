"""Sending queued server changes (``pending_ops``) before anything else in a sync."""

from __future__ import annotations

import logging

from imapclient import IMAPClient
from imapclient import exceptions as imap_errors

from supportinbox.config import AccountConfig
from supportinbox.errors import UserError
from supportinbox.mail.imap import NETWORK_ERRORS, connect, flag_and_move, logout, message_id_at
from supportinbox.store import pending
from supportinbox.store.db import Database
from supportinbox.sync.lock import account_lock

log = logging.getLogger(__name__)


def _apply(imap: IMAPClient, op: pending.PendingOp, capabilities: tuple[bytes, ...]) -> None:
    uid = int(op.payload["uid"])
    if op.kind == "add_flags":
        imap.add_flags([uid], [str(f) for f in op.payload["flags"]])
    elif op.kind == "remove_flags":
        imap.remove_flags([uid], [str(f) for f in op.payload["flags"]])
    elif op.kind == "move":
        dest = str(op.payload["dest"])
        expected = op.payload.get("message_id")
        # A move queued offline names its message by UID; the folder may have been
        # recreated since, so the UID is checked to still be that message.
        if expected:
            try:
                found = message_id_at(imap, uid)
            except LookupError:
                # Gone from the folder: moved by an earlier run that stopped before it could
                # record that, or moved or deleted elsewhere. Nothing is left to do.
                log.info(
                    "queued move #%d: message %d is no longer in %s; nothing to do",
                    op.id,
                    uid,
                    op.payload["folder"],
                )
                return
            if found != str(expected).lower():
                raise ValueError(f"message {uid} changed on the server since the move was queued")
        flag_and_move(
            imap,
            [uid],
            dest,
            add=[str(f) for f in op.payload.get("add_flags", [])],
            remove=[str(f) for f in op.payload.get("remove_flags", [])],
            capabilities=capabilities,
        )
    else:
        raise ValueError(f"unknown operation {op.kind!r}")


def flush_pending(imap: IMAPClient, db: Database) -> tuple[int, int]:
    """Apply every queued change, oldest first; return (done, failed).

    A change the server refuses stays queued with its error and attempt count. A broken
    connection stops the flush (the error propagates) with the rest still queued.
    """
    ops = pending.list_pending(db.conn)
    if not ops:
        return 0, 0
    capabilities = tuple(imap.capabilities())
    done = failed = 0
    selected: str | None = None
    for op in ops:
        try:
            folder = str(op.payload["folder"])
            if selected != folder:
                selected = None
                imap.select_folder(folder)
                selected = folder
            _apply(imap, op, capabilities)
        except NETWORK_ERRORS:
            raise
        except (imap_errors.IMAPClientError, LookupError, ValueError, TypeError) as exc:
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            log.warning("queued %s #%d failed: %s", op.kind, op.id, error)
            with db.transaction() as conn:
                pending.mark_failed(conn, op.id, error)
            failed += 1
        else:
            with db.transaction() as conn:
                pending.mark_done(conn, op.id)
                rescued = op.payload.get("message_id")
                if op.kind == "move" and op.payload.get("rescue") and isinstance(rescued, str):
                    pending.note_rescued(conn, rescued)
            done += 1
    return done, failed


# Why a quick push gives up: no connection, no password, or a sync running (it sends them).
_KEPT_FOR_LATER: tuple[type[BaseException], ...] = (UserError, *NETWORK_ERRORS)


def push_pending(db: Database, account_name: str, account: AccountConfig) -> bool:
    """Send the queued changes now, outside a sync (a conversation marked read, say).

    Best effort and quiet: when the server is unreachable or a sync is running (it sends
    them itself), the changes stay queued for the next sync. True when the queue was sent.
    """
    if not pending.count_pending(db.conn):
        return True
    try:
        with account_lock(account_name, wait=0.5):
            imap = connect(account_name, account)
            try:
                flush_pending(imap, db)
            finally:
                logout(imap)
    except _KEPT_FOR_LATER as exc:
        log.info("queued changes stay for the next sync: %s", type(exc).__name__)
        return False
    return not pending.count_pending(db.conn)
