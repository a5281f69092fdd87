"""Reading and writing a conversation's shared state on the IMAP server.

:func:`open_team_server` looks at the inbox's PERMANENTFLAGS: with ``\\*`` the state
travels as ``$si-`` keywords on the conversation's inbox messages (:class:`KeywordServer`),
otherwise as messages in a hidden state folder (:class:`FolderServer`).

Writes of a claim are conditional (CONDSTORE ``UNCHANGEDSINCE``): of two clients claiming
at once, the second STORE fails on the server; that client re-reads, finds the claim of
the first, removes anything of its own that landed, and reports the conflict.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient

from supportinbox.config import AccountConfig
from supportinbox.errors import NotFound, UserError
from supportinbox.store.db import Database
from supportinbox.team import statefolder
from supportinbox.team.keywords import (
    MessageFlags,
    Resolution,
    TeamState,
    claim_keyword,
    plan_store,
    resolve,
)
from supportinbox.team.store import ConversationRef, update_cached_flags

log = logging.getLogger(__name__)

KEYWORDS = "keywords"
FOLDER = "folder"
MODE_META = "team_mode"
MODE_CHECKED_META = "team_mode_checked"
MAX_ATTEMPTS = 5


class TeamConflict(UserError):
    """A teammate holds the conversation (or claimed it first)."""

    title = "Conflict"
    exit_code = 10

    def __init__(self, message: str, holder: str | None = None) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class Change:
    """What one command changes; fields not ``sets_*`` are kept as the server has them.

    ``expect_holder``: refuse (:class:`TeamConflict`) unless the conversation is held by one
    of these (``None`` = nobody) — how a claim refuses to take a teammate's conversation.
    """

    status: str | None = None
    snoozed_until: str | None = None
    assigned_to: str | None = None
    sets_status: bool = False
    sets_claim: bool = False
    expect_holder: tuple[str | None, ...] | None = None
    written_at: str | None = None  # when the status was set (now if None)

    def status_time(self, current: Resolution) -> str:
        """The time the resulting status was set: this change's, or the one already there."""
        if self.sets_status or not current.written_at:
            return self.written_at or datetime.now(UTC).isoformat(timespec="seconds")
        return current.written_at

    def apply(self, state: TeamState) -> TeamState:
        status, snooze = (
            (self.status, self.snoozed_until) if self.sets_status else (state.status, state.snoozed_until)
        )
        claim = self.assigned_to if self.sets_claim else state.assigned_to
        return TeamState(status, snooze, claim).normalized()


def change_from(base: TeamState, wanted: TeamState, written_at: str | None = None) -> Change:
    """The change that turns ``base`` into ``wanted`` (only the fields that differ).

    ``written_at``: when the local status was set (kept as the status time on the server).
    """
    base, wanted = base.normalized(), wanted.normalized()
    sets_status = (base.status, base.snoozed_until) != (wanted.status, wanted.snoozed_until)
    sets_claim = base.assigned_to != wanted.assigned_to
    return Change(
        wanted.status,
        wanted.snoozed_until,
        wanted.assigned_to,
        sets_status,
        sets_claim,
        # A claim made offline must not take what a teammate took meanwhile.
        (base.assigned_to, wanted.assigned_to) if sets_claim else None,
        written_at if sets_status else None,
    )


def _check_holder(change: Change, resolution: Resolution) -> None:
    holder = resolution.state.assigned_to
    if change.expect_holder is None or holder in change.expect_holder or holder == change.assigned_to:
        return
    raise TeamConflict(
        f"{holder} holds this conversation"
        + (f" (last change by {resolution.last_writer})" if resolution.last_writer else "")
        + ": ask them, or use --force",
        holder,
    )


@dataclass(frozen=True)
class WriteResult:
    """The server state before and after a write."""

    before: Resolution
    after: Resolution
    changed: bool


class KeywordServer:
    """Shared state as ``$si-`` keywords on the conversation's inbox messages."""

    mode = KEYWORDS

    def __init__(self, imap: IMAPClient, db: Database, account: AccountConfig, inbox: str) -> None:
        self.imap = imap
        self.db = db
        self.account = account
        self.inbox = inbox
        self.condstore = b"CONDSTORE" in imap.capabilities()

    def fetch(self, uids: tuple[int, ...]) -> list[MessageFlags]:
        """Fresh FLAGS and MODSEQ of ``uids`` (expunged ones are left out)."""
        if not uids:
            return []
        items = ["FLAGS", "MODSEQ"] if self.condstore else ["FLAGS"]
        response = self.imap.fetch(list(uids), items)
        out = []
        for uid, data in sorted(response.items()):
            if uid not in uids:
                continue
            flags = tuple(
                f.decode("utf-8", "replace") if isinstance(f, bytes) else str(f) for f in data[b"FLAGS"]
            )
            modseq = int(data.get(b"MODSEQ", (0,))[0])
            out.append(MessageFlags(int(uid), modseq, tuple(f for f in flags if f != "\\Recent")))
        return out

    def read(self, ref: ConversationRef) -> Resolution:
        self.imap.select_folder(self.inbox)
        return resolve(self.fetch(ref.uids))

    def _store(self, uids: tuple[int, ...], op: str, flags: tuple[str, ...], unchangedsince: int) -> bool:
        """One UID STORE; False when the server reports messages MODIFIED since ``unchangedsince``."""
        imap4: Any = self.imap._imap
        imap4.untagged_responses.pop("MODIFIED", None)
        modifier = f"(UNCHANGEDSINCE {unchangedsince}) " if self.condstore and unchangedsince else ""
        typ, data = imap4.uid(
            "STORE", ",".join(str(u) for u in uids), f"{modifier}{op}.SILENT", "(" + " ".join(flags) + ")"
        )
        if typ != "OK":
            text = data[0].decode("utf-8", "replace") if data and isinstance(data[0], bytes) else str(data)
            raise UserError(f"the server refused to change flags in {self.inbox!r}: {text[:200]}")
        modified = imap4.untagged_responses.pop("MODIFIED", None)
        return not modified

    def write(self, ref: ConversationRef, change: Change, agent: str) -> WriteResult:
        """Apply ``change`` for ``agent``; :class:`TeamConflict` if a teammate holds the conversation."""
        if not ref.uids:
            raise NotFound(f"conversation {ref.id} has no message in {self.inbox!r} to carry its state")
        self.imap.select_folder(self.inbox)
        first: Resolution | None = None
        for _attempt in range(MAX_ATTEMPTS):
            messages = self.fetch(ref.uids)
            if not messages:
                raise NotFound(f"the messages of conversation {ref.id} are no longer on the server")
            current = resolve(messages)
            first = first or current
            try:
                _check_holder(change, current)
            except TeamConflict:
                self._back_off(messages, change)
                raise
            target = change.apply(current.state)
            plans = plan_store(messages, target, agent, change.status_time(current))
            if not plans:
                break
            clean = True
            for plan in plans:
                if plan.add and not self._store(plan.uids, "+FLAGS", plan.add, plan.modseq):
                    clean = False
                    break
                if plan.remove:
                    self._store(plan.uids, "-FLAGS", plan.remove, 0)
            if clean:
                break
        final = self.fetch(ref.uids)
        with self.db.transaction() as tx:
            update_cached_flags(tx, final)
        after = resolve(final)
        if change.sets_claim and change.assigned_to and after.state.assigned_to != change.assigned_to:
            # Two claims landed together: the deterministic winner keeps it, we back off.
            self._back_off(final, change)
            raise TeamConflict(
                f"{after.state.assigned_to} claimed this conversation at the same time and keeps it",
                after.state.assigned_to,
            )
        assert first is not None
        return WriteResult(first, after, first.state != after.state)

    def settle(self, ref: ConversationRef, agent: str) -> Resolution:
        """Make every message carry the resolved state (after coexisting claims or split writes).

        Losing claims are removed; the last writer and its time are kept. Conditional: if a
        teammate changes the messages meanwhile, the next sync settles again.
        """
        self.imap.select_folder(self.inbox)
        messages = self.fetch(ref.uids)
        current = resolve(messages)
        writer = current.last_writer or agent
        for plan in plan_store(messages, current.state, writer, current.written_at):
            if plan.add and not self._store(plan.uids, "+FLAGS", plan.add, plan.modseq):
                break
            if plan.remove:
                self._store(plan.uids, "-FLAGS", plan.remove, 0)
        final = self.fetch(ref.uids)
        with self.db.transaction() as tx:
            update_cached_flags(tx, final)
        return resolve(final)

    def _back_off(self, messages: list[MessageFlags], change: Change) -> None:
        """Remove a claim keyword of ours that landed although the claim lost."""
        if not (change.sets_claim and change.assigned_to):
            return
        mine = claim_keyword(change.assigned_to).lower()
        uids = tuple(m.uid for m in messages if mine in {f.lower() for f in m.flags})
        if uids:
            self._store(uids, "-FLAGS", (claim_keyword(change.assigned_to),), 0)


class FolderServer:
    """Shared state as messages in the hidden state folder (no custom keywords)."""

    mode = FOLDER

    def __init__(self, imap: IMAPClient, db: Database, account: AccountConfig) -> None:
        self.imap = imap
        self.db = db
        self.account = account

    def read(self, ref: ConversationRef) -> Resolution:
        statefolder.sync_log(self.imap, self.db)
        entries = statefolder.log_entries(self.db.conn, ref.id).get(ref.id, [])
        return statefolder.resolve_log(entries)[0]

    def settle(self, ref: ConversationRef, agent: str) -> Resolution:
        """Nothing to settle: the log itself decides (see :mod:`supportinbox.team.statefolder`)."""
        del agent
        return self.read(ref)

    def write(self, ref: ConversationRef, change: Change, agent: str) -> WriteResult:
        statefolder.sync_log(self.imap, self.db, create=True)
        entries = statefolder.log_entries(self.db.conn, ref.id).get(ref.id, [])
        before = statefolder.resolve_log(entries)[0]
        _check_holder(change, before)
        target = change.apply(before.state)
        if target == before.state:
            return WriteResult(before, before, False)
        at = change.status_time(before)
        statefolder.append_state(self.imap, self.account, agent, ref.id, target, before.modseq or 0, at)
        statefolder.sync_log(self.imap, self.db)
        entries = statefolder.log_entries(self.db.conn, ref.id).get(ref.id, [])
        after = statefolder.resolve_log(entries)[0]
        if change.sets_claim and change.assigned_to and after.state.assigned_to != change.assigned_to:
            raise TeamConflict(
                f"{after.state.assigned_to} claimed this conversation first and keeps it",
                after.state.assigned_to,
            )
        return WriteResult(before, after, True)


TeamServer = KeywordServer | FolderServer


def keywords_supported(select_info: dict[bytes, Any]) -> bool:
    """True when SELECT's PERMANENTFLAGS allows new keywords (``\\*``)."""
    return b"\\*" in {bytes(f) for f in select_info.get(b"PERMANENTFLAGS", ())}


def open_team_server(
    imap: IMAPClient, db: Database, account: AccountConfig, inbox: str, *, recheck_after: float | None = None
) -> TeamServer:
    """The backend this server supports; records the mode in the cache for ``team status``.

    With ``recheck_after`` (seconds), a mode found less than that long ago is trusted
    without a SELECT, which keeps a sync with nothing to do cheap.
    """
    checked = db.get_meta(MODE_CHECKED_META)
    known = db.get_meta(MODE_META)
    if recheck_after is not None and known in (KEYWORDS, FOLDER) and checked:
        try:
            age = time.time() - float(checked)
        except ValueError:
            age = recheck_after
        if 0 <= age < recheck_after:
            return _server(known, imap, db, account, inbox)
    info = imap.select_folder(inbox)
    mode = KEYWORDS if keywords_supported(info) else FOLDER
    if known != mode and mode == FOLDER:
        log.warning(
            "the server does not allow custom keywords in %s: team state goes to the folder %r",
            inbox,
            statefolder.STATE_FOLDER,
        )
    with db.transaction():
        db.set_meta(MODE_META, mode)
        db.set_meta(MODE_CHECKED_META, f"{time.time():.0f}")
    return _server(mode, imap, db, account, inbox)


def _server(mode: str, imap: IMAPClient, db: Database, account: AccountConfig, inbox: str) -> TeamServer:
    if mode == KEYWORDS:
        return KeywordServer(imap, db, account, inbox)
    return FolderServer(imap, db, account)
