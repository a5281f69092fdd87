"""Sharing a change made here with the team at once, over a short connection of its own.

The change is in the cache already; when the server cannot take it now, the next sync
shares it, and the caller says so with the reason given here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from supportinbox.config import AccountConfig
from supportinbox.domain.safetext import one_line
from supportinbox.errors import ConnectionFailed, UserError
from supportinbox.mail.imap import NETWORK_ERRORS, connect, logout
from supportinbox.store.conversations import reapply_state
from supportinbox.store.db import Database
from supportinbox.team.keywords import Resolution, TeamState
from supportinbox.team.merge import kept_over
from supportinbox.team.server import FOLDER, change_from, open_team_server
from supportinbox.team.store import (
    base_state,
    conversation_ref,
    local_state,
    local_updated_at,
    set_base,
    write_local,
)

log = logging.getLogger(__name__)


def share_now(
    account_name: str,
    account: AccountConfig,
    upload: Callable[[IMAPClient], object],
    *,
    password: str | None = None,
) -> str | None:
    """Run ``upload`` on a new connection: ``None`` when done, else why it waits for the next sync."""
    try:
        imap = connect(account_name, account, password=password)
    except ConnectionFailed:
        return "server unreachable"
    except UserError as exc:  # a login that fails: the change is kept all the same
        return one_line(exc.message, limit=200)
    try:
        upload(imap)
    except (*NETWORK_ERRORS, IMAPClientError) as exc:
        log.info("change kept for the next sync: %s", exc)
        return "the connection was lost"
    finally:
        logout(imap)
    return None


def waiting(what: str, why: str | None) -> str:
    """``what (shared with the team)`` or ``what; not shared yet (why): the next sync shares it``."""
    if why is None:
        return f"{what} (shared with the team)"
    return f"{what}; not shared yet ({why}): the next sync shares it"


def record(db: Database, cid: str, server: Resolution, agent: str, read: TeamState) -> None:
    """The server's state becomes the merge base, and the local state but for what changed
    here while the server was asked.

    ``read``: the local state when the write (or read) began. A key pressed meanwhile (claim,
    then at once Pending) changed the cache after that: the server's answer, made from the
    older state, must not erase it. Such a field stays as set here, differs from the new
    base, and so goes to the server with the next share (the app shares after every change).
    """
    state = server.state.normalized()
    with db.transaction() as tx:
        local = local_state(tx, cid)
        wanted = kept_over(state, read, local)
        if local != wanted:
            if wanted == state:
                write_local(tx, cid, state, by=server.last_writer or agent, updated_at=server.written_at)
            else:
                write_local(tx, cid, wanted, by=agent, updated_at=local_updated_at(tx, cid))
        set_base(tx, cid, state)
    reapply_state(db, [cid])


def push_state_on(imap: IMAPClient, db: Database, account: AccountConfig, conversation_id: str) -> bool:
    """Write the conversation's status and claim set here to the server over ``imap``; False
    when there was nothing to write (or nothing on the server to carry it yet).

    A teammate's claim found meanwhile raises :class:`~supportinbox.team.server.TeamConflict`
    and leaves the cache as it was: the next sync merges the two.
    """
    ref = conversation_ref(db.conn, conversation_id)
    local = local_state(db.conn, ref.id)
    change = change_from(base_state(db.conn, ref.id), local, local_updated_at(db.conn, ref.id))
    if not (change.sets_status or change.sets_claim):
        return False
    server = open_team_server(imap, db, account, ref.inbox_folder or account.inbox_folder)
    if not ref.uids and server.mode != FOLDER:
        return False  # no inbox message to carry keywords: it goes with the next sync's merge
    result = server.write(ref, change, account.agent)
    record(db, ref.id, result.after, account.agent, local)
    return True
