"""Team actions, the one home of these use cases for the CLI and the TUI: claim, release,
assign, notes, pushing state.

Each action changes the cache at once (so the queue shows it) and then writes to the
server over a short connection of its own. When the server cannot be reached the change
stays local and the next sync pushes it (the three-way merge sees it differs from what the
server last held). Every function is synchronous and may run in a worker thread, as long
as no other thread uses the same :class:`Database` meanwhile.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from supportinbox.app.context import AccountContext
from supportinbox.config import is_agent_name
from supportinbox.domain import handover
from supportinbox.errors import ConnectionFailed, NotFound, UsageProblem, UserError
from supportinbox.mail.imap import NETWORK_ERRORS, connect, describe_network_error, logout
from supportinbox.store.conversations import reapply_state, resolve_id
from supportinbox.store.db import Database
from supportinbox.store.handovers import recount
from supportinbox.team import notes
from supportinbox.team.keywords import TeamState
from supportinbox.team.server import Change, KeywordServer, TeamConflict, change_from, open_team_server
from supportinbox.team.share import record
from supportinbox.team.statefolder import STATE_FOLDER
from supportinbox.team.store import (
    ConversationRef,
    base_state,
    conversation_ref,
    known_agents,
    local_state,
    local_updated_at,
    write_local,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionResult:
    """What an action did. ``online`` is False when it waits for the next sync."""

    conversation_id: str
    message: str
    online: bool
    state: TeamState


def _valid_agent(agent: str) -> str:
    agent = agent.strip()
    if not is_agent_name(agent):
        raise UsageProblem(f"{agent!r} is not an agent name (up to 64 letters, digits, '-', '_' or '.')")
    return agent


def _connect(ctx: AccountContext, password: str | None) -> IMAPClient | None:
    """A connection, or None when the server is unreachable (the change then waits)."""
    try:
        return connect(ctx.account_name, ctx.account, password=password)
    except ConnectionFailed as exc:
        log.info("team change kept for the next sync: %s", exc.message)
        return None


def _push(
    ctx: AccountContext, ref: ConversationRef, change: Change, done: str, password: str | None
) -> ActionResult:
    db, account = ctx.db, ctx.account
    pushed = local_state(db.conn, ref.id)  # what this write is made from
    imap = _connect(ctx, password)
    if imap is None:
        return ActionResult(
            ref.id,
            f"{done} here; the server is unreachable, it is sent at the next sync",
            False,
            _local(db, ref),
        )
    try:
        server = open_team_server(imap, db, account, ref.inbox_folder or account.inbox_folder)
        try:
            result = server.write(ref, change, account.agent)
        except TeamConflict:
            record(db, ref.id, server.read(ref), account.agent, pushed)
            raise
        record(db, ref.id, result.after, account.agent, pushed)
        return ActionResult(ref.id, f"{done} (shared with the team)", True, result.after.state)
    except NETWORK_ERRORS as exc:
        problem = describe_network_error(exc, account, ctx.account_name).message
        return ActionResult(
            ref.id, f"{done} here; {problem}; it is sent at the next sync", False, _local(db, ref)
        )
    except IMAPClientError as exc:
        raise UserError(f"the server refused the change of {ref.id}: {str(exc)[:200]}") from None
    finally:
        logout(imap)


def _local(db: Database, ref: ConversationRef) -> TeamState:
    return local_state(db.conn, ref.id)


def _change_holder(db: Database, cid: str, holder: str | None, agent: str, now: datetime) -> None:
    """Only who holds the conversation changes: its status keeps the time and author it was
    set with. Re-dated, a close would seem newer than the customer's later message, and a
    conversation the customer reopened would close again in this copy at a hand-over."""
    with db.transaction() as tx:
        current = local_state(tx, cid)
        set_at = tx.execute(
            "SELECT updated_at, updated_by FROM conversation_state WHERE conversation_id = ?", (cid,)
        ).fetchone()
        state = TeamState(current.status, current.snoozed_until, holder)
        if set_at is None or not set_at[0]:
            write_local(tx, cid, state, by=agent)
        else:
            write_local(tx, cid, state, by=str(set_at[1] or agent), updated_at=str(set_at[0]))
    reapply_state(db, [cid], now=now)


def _ref(db: Database, conversation_id: str) -> ConversationRef:
    return conversation_ref(db.conn, resolve_id(db, conversation_id))


def _claimable(db: Database, conversation_id: str) -> ConversationRef:
    """The conversation, if it has inbox mail to carry a claim (not only our own replies)."""
    ref = _ref(db, conversation_id)
    if not ref.uids:
        raise NotFound(f"conversation {ref.id} has no message in the inbox: there is nothing to claim")
    return ref


def claim(
    ctx: AccountContext, cid: str, *, force: bool = False, password: str | None = None, share: bool = True
) -> ActionResult:
    """Take the conversation; :class:`TeamConflict` if a teammate holds it (unless ``force``).

    ``share=False`` only changes the cache (at once); :func:`push_state` shares it later.
    The queue is recomputed at the context's clock (the app's, frozen in its tests).
    """
    return _hold(ctx, cid, take=True, force=force, password=password, share=share)


def release(
    ctx: AccountContext, cid: str, *, force: bool = False, password: str | None = None, share: bool = True
) -> ActionResult:
    """Give the conversation back; only one's own claim unless ``force`` (``share``: see :func:`claim`)."""
    return _hold(ctx, cid, take=False, force=force, password=password, share=share)


def _hold(
    ctx: AccountContext, conversation_id: str, *, take: bool, force: bool, password: str | None, share: bool
) -> ActionResult:
    """Claim (``take``) or release the conversation: never over a teammate's claim unless ``force``,
    here and on the server (where the claim may have changed meanwhile)."""
    db = ctx.db
    ref = _claimable(db, conversation_id)
    me = ctx.account.agent
    current = local_state(db.conn, ref.id)
    holder = current.assigned_to
    if holder not in (None, me) and not force:
        refused = f"{holder} holds {ref.id}: ask them first" if take else f"{holder} holds {ref.id}, not you"
        raise TeamConflict(refused, holder)
    after = me if take else None
    if holder == after and base_state(db.conn, ref.id).assigned_to == after:
        # Nothing to change here nor to tell the team (as last agreed with the server).
        said = f"{ref.id} is yours already" if take else f"{ref.id}: nobody holds it"
        return ActionResult(ref.id, said, True, current)
    _change_holder(db, ref.id, after, me, ctx.now())
    done = f"{ref.id} claimed by {me}" if take else f"{ref.id} released"
    if not share:
        return ActionResult(ref.id, done, False, _local(db, ref))
    change = Change(assigned_to=after, sets_claim=True, expect_holder=None if force else (None, me))
    return _push(ctx, ref, change, done, password)


def _known_spelling(ctx: AccountContext, agent: str) -> str:
    """``agent`` as the team spells it: "Alice" typed for the teammate ``alice`` would give the
    conversation to an agent nobody is (alice's app would not take it for hers)."""
    known = {*known_agents(ctx.db.conn), *ctx.account.agents, ctx.account.agent}
    if agent in known:
        return agent
    same = [name for name in known if name.casefold() == agent.casefold()]
    return same[0] if len(same) == 1 else agent


def assign(
    ctx: AccountContext,
    conversation_id: str,
    agent: str,
    *,
    note: str = "",
    password: str | None = None,
    share: bool = True,
) -> ActionResult:
    """Give the conversation to ``agent`` (replacing any claim: a deliberate hand-over).

    A change of hands is recorded as a note for the team (with ``note``, why), which the
    queue counts (:mod:`supportinbox.domain.handover`). ``share``: see :func:`claim` (unshared,
    both the claim and the note go with :func:`push_state` and :func:`upload_notes`, or with the
    conversation's next sync). The app and ``assign`` reach it as :func:`supportinbox.app.handover.assign`.
    """
    db, account = ctx.db, ctx.account
    agent = _known_spelling(ctx, _valid_agent(agent))
    ref = _claimable(db, conversation_id)
    current = local_state(db.conn, ref.id)
    _change_holder(db, ref.id, agent, account.agent, ctx.now())
    handed = handover.is_handover(agent, account.agent, current.assigned_to)
    if handed:
        said = handover.note_text(agent, account.agent, note, held_by=current.assigned_to)
    else:
        said = note.strip()  # why, when it changes no hands: a note like any other
    if said:
        with db.transaction() as tx:
            notes.add_local_note(tx, account, ref.id, said, now=ctx.now())
        recount(db, [ref.id])
    if not share:
        return ActionResult(ref.id, f"{ref.id} assigned to {agent}", False, _local(db, ref))
    change = Change(assigned_to=agent, sets_claim=True)
    result = _push(ctx, ref, change, f"{ref.id} assigned to {agent}", password)
    if said and result.online:
        upload_notes(ctx, ref.id, password=password)
    return result


def server_state(
    ctx: AccountContext, conversation_id: str, *, password: str | None = None
) -> TeamState | None:
    """The conversation's shared state as the server has it now, also taken into the cache;
    None when the server cannot be asked (the cache's state is then all there is)."""
    db = ctx.db
    ref = _ref(db, conversation_id)
    read = local_state(db.conn, ref.id)
    imap = _connect(ctx, password)
    if imap is None:
        return None
    try:
        server = open_team_server(imap, db, ctx.account, ref.inbox_folder or ctx.account.inbox_folder)
        found = server.read(ref)
    except (*NETWORK_ERRORS, IMAPClientError) as exc:
        log.info("the team state of %s could not be read: %r", ref.id, exc)
        return None
    finally:
        logout(imap)
    record(db, ref.id, found, ctx.account.agent, read)
    return found.state


def push_state(ctx: AccountContext, conversation_id: str, *, password: str | None = None) -> ActionResult:
    """Share a status set locally (e.g. by ``set_status``) now rather than at the next sync."""
    db = ctx.db
    ref = _ref(db, conversation_id)
    local = local_state(db.conn, ref.id)
    base = base_state(db.conn, ref.id)
    change = change_from(base, local, local_updated_at(db.conn, ref.id))
    if not (change.sets_status or change.sets_claim):
        return ActionResult(ref.id, f"{ref.id}: nothing to share", True, local)
    return _push(ctx, ref, change, f"{ref.id} updated", password)


def add_note(
    ctx: AccountContext, conversation_id: str, text: str, *, password: str | None = None, share: bool = True
) -> ActionResult:
    """Add an internal note (never sent to the customer), written at the context's clock, and
    upload it when online.

    ``share=False`` only keeps it in the cache (at once); :func:`upload_notes` shares it later.
    """
    db = ctx.db
    ref = _ref(db, conversation_id)
    with db.transaction() as tx:
        notes.add_local_note(tx, ctx.account, ref.id, text, now=ctx.now())
    if not share:
        return ActionResult(ref.id, "note saved", False, local_state(db.conn, ref.id))
    return upload_notes(ctx, ref.id, password=password)


def upload_notes(ctx: AccountContext, conversation_id: str, *, password: str | None = None) -> ActionResult:
    """Upload every note not shared yet (after :func:`add_note` with ``share=False``)."""
    db = ctx.db
    ref = _ref(db, conversation_id)
    state = local_state(db.conn, ref.id)
    if db.conn.execute("SELECT 1 FROM notes WHERE uploaded = 0 LIMIT 1").fetchone() is None:
        return ActionResult(ref.id, "no note to share", True, state)
    imap = _connect(ctx, password)
    if imap is None:
        return ActionResult(
            ref.id, "note saved; it is shared at the next sync (server unreachable)", False, state
        )
    try:
        notes.upload_pending(imap, db, ctx.account)
    except (*NETWORK_ERRORS, IMAPClientError) as exc:
        log.info("note kept for the next sync: %s", exc)
        return ActionResult(ref.id, "note saved; it is shared at the next sync", False, state)
    finally:
        logout(imap)
    return ActionResult(ref.id, f"note added to {ref.id} (shared with the team)", True, state)


def forget_agent(ctx: AccountContext, agent: str, *, password: str | None = None) -> str:
    """Give a former teammate's slot back (their claims are dropped); needs the server."""
    agent = _valid_agent(agent)
    imap = _connect(ctx, password)
    if imap is None:
        raise ConnectionFailed("the server is unreachable: a team slot can only be given back online")
    try:
        server = open_team_server(imap, ctx.db, ctx.account, ctx.account.inbox_folder)
        if not isinstance(server, KeywordServer):
            return f"nothing to do: on this server team state uses the folder {STATE_FOLDER!r}, without slots"
        dropped = server.forget(agent)
        # This copy shows what the server holds now, not the claims just dropped there.
        held = [
            str(row[0])
            for row in ctx.db.conn.execute(
                "SELECT conversation_id FROM conversation_state WHERE assigned_to = ?", (agent,)
            )
        ]
        for cid in held:
            read = local_state(ctx.db.conn, cid)
            record(ctx.db, cid, server.read(conversation_ref(ctx.db.conn, cid)), ctx.account.agent, read)
    except IMAPClientError as exc:
        raise UserError(f"the server refused to give back the slot of {agent}: {str(exc)[:200]}") from None
    finally:
        logout(imap)
    return f"{agent}'s team slot is free again" + (
        f"; their claim was removed from {dropped} message(s)" if dropped else ""
    )
