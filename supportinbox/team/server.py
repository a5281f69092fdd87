"""Reading and writing a conversation's shared state on the IMAP server.

:func:`open_team_server` finds out whether the server keeps custom keywords in the inbox
(:func:`detect_mode`): if so the state travels as the fixed ``$si-`` keywords on the
conversation's inbox messages (:class:`KeywordServer`), otherwise as messages in a hidden
state folder (:class:`FolderServer`).

Writes of a claim are conditional (CONDSTORE ``UNCHANGEDSINCE``): of two clients claiming
at once, the second STORE fails on the server; that client re-reads, finds the claim of
the first, removes anything of its own that landed, and reports the conflict.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from supportinbox.config import AccountConfig
from supportinbox.domain.safetext import one_line
from supportinbox.errors import NotFound, UserError
from supportinbox.store.db import Database
from supportinbox.team import legacy, marks, statefolder
from supportinbox.team.keywords import (
    PROBE,
    SLOTS,
    MessageFlags,
    Resolution,
    StorePlan,
    TeamState,
    holder_keyword,
    holder_slots,
    is_legacy_keyword,
    plan_store,
    resolve,
)
from supportinbox.team.store import ConversationRef, cached_conversations, update_cached_flags

log = logging.getLogger(__name__)

KEYWORDS = marks.KEYWORDS
FOLDER = marks.FOLDER
MODE_META = marks.MODE
MODE_CHECKED_META = marks.MODE_CHECKED
MODE_REASON_META = "team_mode_reason"
# How long the server's keyword support, once checked, is trusted without asking again.
MODE_RECHECK_SECONDS = marks.MODE_RECHECK_SECONDS
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


def _check_holder(change: Change, resolution: Resolution, conversation_id: str) -> None:
    holder = resolution.state.assigned_to
    if change.expect_holder is None or holder in change.expect_holder or holder == change.assigned_to:
        return
    raise TeamConflict(
        # Named as the refusal made from the cache names it ("bob holds w7z7crlv"): a command
        # line in a script says which one.
        f"{holder} holds {conversation_id}"
        + (f" (last change by {resolution.last_writer})" if resolution.last_writer else "")
        + ": ask them first",
        holder,
    )


@dataclass(frozen=True)
class WriteResult:
    """The server state before and after a write."""

    before: Resolution
    after: Resolution
    changed: bool


def fetch_flags(imap: IMAPClient, uids: tuple[int, ...], condstore: bool) -> list[MessageFlags]:
    """Fresh FLAGS (and MODSEQ with CONDSTORE) of ``uids`` in the selected folder.

    Expunged ones are left out.
    """
    if not uids:
        return []
    items = ["FLAGS", "MODSEQ"] if condstore else ["FLAGS"]
    response = imap.fetch(list(uids), items)
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


class KeywordServer:
    """Shared state as the fixed ``$si-`` keywords on the conversation's inbox messages.

    The registry of team slots and the details of each status (who, when, snooze) are read
    from the state folder (:mod:`supportinbox.team.statefolder`).
    """

    mode = KEYWORDS

    def __init__(self, imap: IMAPClient, db: Database, account: AccountConfig, inbox: str) -> None:
        self.imap = imap
        self.db = db
        self.account = account
        self.inbox = inbox
        self.condstore = b"CONDSTORE" in imap.capabilities()

    def fetch(self, uids: tuple[int, ...]) -> list[MessageFlags]:
        """Fresh FLAGS and MODSEQ of ``uids`` (expunged ones are left out)."""
        return fetch_flags(self.imap, uids, self.condstore)

    def refresh_log(self, *, create: bool = False) -> None:
        """Read new registry entries and details from the state folder (may change the selected folder)."""
        statefolder.sync_log(self.imap, self.db, self.account, create=create)

    def agents(self) -> dict[int, str]:
        """The team slots as last read: slot -> agent."""
        return statefolder.cached_registry(self.db.conn)

    def resolution(self, messages: list[MessageFlags], conversation_id: str) -> Resolution:
        """The state these messages carry, with the conversation's details.

        A holder slot the cached registry does not know means a teammate registered since
        it was read: the registry is read again (and the inbox selected again) first.
        """
        agents = self.agents()
        if any(slot not in agents for slot in holder_slots(messages)):
            self.refresh_log()
            self.imap.select_folder(self.inbox)
            agents = self.agents()
        details = statefolder.cached_details(self.db.conn, conversation_id).get(conversation_id, [])
        return resolve(messages, agents, details)

    def resolve_all(self, conversations: dict[str, tuple[MessageFlags, ...]]) -> dict[str, Resolution]:
        """:meth:`resolution` for many conversations at once (one read of registry and details)."""
        agents = self.agents()
        details = statefolder.cached_details(self.db.conn)
        return {
            cid: resolve(messages, agents, details.get(cid, [])) for cid, messages in conversations.items()
        }

    def read(self, ref: ConversationRef) -> Resolution:
        return self.read_flags(ref)[0]

    def read_flags(self, ref: ConversationRef) -> tuple[Resolution, list[MessageFlags]]:
        """The conversation's state and its messages' flags as the server has them now."""
        self.refresh_log()
        self.imap.select_folder(self.inbox)
        messages = self.fetch(ref.uids)
        return self.resolution(messages, ref.id), messages

    def slot_of(self, agent: str) -> int:
        """``agent``'s team slot, registering it in the first free one when it has none.

        Two clients registering at once: the state folder's UID order decides, the loser
        registers again. Leaves the state folder selected.
        """
        for _attempt in range(MAX_ATTEMPTS):
            slots = {name: slot for slot, name in self.agents().items()}
            if agent in slots:
                return slots[agent]
            taken = self.agents()
            free = [n for n in range(1, SLOTS + 1) if n not in taken]
            if not free:
                names = ", ".join(taken[n] for n in sorted(taken))
                raise UserError(
                    f"all {SLOTS} team slots of this mailbox are taken ({names}), so {agent} cannot hold "
                    "a conversation: give one back with 'supportinbox team forget AGENT'"
                )
            raw = statefolder.build_registry_message(self.account, self.account.agent, agent, free[0])
            statefolder.append_message(self.imap, raw)
            self.refresh_log(create=True)
        raise UserError(f"could not register {agent} in a team slot (too many teammates registering at once)")

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

    def _apply(self, plans: list[StorePlan]) -> bool:
        """Run the plans; False when a conditional STORE found the messages changed."""
        for plan in plans:
            if plan.add and not self._store(plan.uids, "+FLAGS", plan.add, plan.modseq):
                return False
            if plan.remove:
                self._store(plan.uids, "-FLAGS", plan.remove, 0)
        return True

    def _slots(self) -> dict[str, int]:
        return {name: slot for slot, name in self.agents().items()}

    def store_if_unchanged(self, uids: tuple[int, ...], op: str, flags: tuple[str, ...], modseq: int) -> bool:
        """One conditional UID STORE; False when a message changed since ``modseq`` (CONDSTORE)."""
        return self._store(uids, op, flags, modseq)

    def write(self, ref: ConversationRef, change: Change, agent: str) -> WriteResult:
        """Apply ``change`` for ``agent``; :class:`TeamConflict` if a teammate holds the conversation."""
        if not ref.uids:
            raise NotFound(f"conversation {ref.id} has no message in {self.inbox!r} to carry its state")
        self.refresh_log()
        self.imap.select_folder(self.inbox)
        first: Resolution | None = None
        target = TeamState()
        for _attempt in range(MAX_ATTEMPTS):
            messages = self.fetch(ref.uids)
            if not messages:
                raise NotFound(f"the messages of conversation {ref.id} are no longer on the server")
            current = self.resolution(messages, ref.id)
            first = first or current
            try:
                _check_holder(change, current, ref.id)
            except TeamConflict:
                self._back_off(messages, change)
                raise
            target = change.apply(current.state)
            slots = self._slots()
            if target.assigned_to and target.assigned_to not in slots:
                # Only a claim that may go ahead takes a slot; then read the messages again.
                self.slot_of(target.assigned_to)
                self.imap.select_folder(self.inbox)
                continue
            plans = plan_store(messages, target, slots)
            if not plans or self._apply(plans):
                break
        final = self.fetch(ref.uids)
        with self.db.transaction() as tx:
            update_cached_flags(tx, final)
        after = self.resolution(final, ref.id)
        if change.sets_claim and change.assigned_to and after.state.assigned_to != change.assigned_to:
            # Two claims landed together: the deterministic winner keeps it, we back off.
            self._back_off(final, change)
            raise TeamConflict(
                f"{after.state.assigned_to} claimed this conversation at the same time and keeps it",
                after.state.assigned_to,
            )
        assert first is not None
        # The snooze time is in the detail itself: only the status keyword can be compared.
        if change.sets_status and after.state.status == target.status:
            raw = statefolder.build_detail_message(
                self.account, agent, ref.id, target, change.status_time(first)
            )
            statefolder.append_message(self.imap, raw)
            self.refresh_log()
            after = self.resolution(final, ref.id)
        return WriteResult(first, after, first.state != after.state)

    def settle(self, ref: ConversationRef, agent: str) -> Resolution:
        """Make every message carry the resolved state (after coexisting claims or split writes).

        Losing claims are removed. Conditional: if a teammate changes the messages
        meanwhile, the next sync settles again.
        """
        del agent
        self.refresh_log()
        self.imap.select_folder(self.inbox)
        messages = self.fetch(ref.uids)
        current = self.resolution(messages, ref.id)
        self._apply(plan_store(messages, current.state, self._slots()))
        final = self.fetch(ref.uids)
        with self.db.transaction() as tx:
            update_cached_flags(tx, final)
        return self.resolution(final, ref.id)

    def migrate_legacy(self) -> bool:
        """Rewrite conversations still carrying per-agent/per-time keywords in the bounded scheme.

        The old keywords are removed from the messages; their state is kept (the writer and
        time as a detail). One a teammate changes meanwhile is left for the next sync.
        Returns True when none is left.
        """
        found = {
            cid: cached.messages
            for cid, cached in cached_conversations(self.db.conn).items()
            if any(is_legacy_keyword(f) for m in cached.messages for f in m.flags)
        }
        if not found:
            return True
        self.refresh_log(create=True)
        done = 0
        for cid, cached in sorted(found.items()):
            old = legacy.read(cached)
            if old.state.assigned_to:
                self.slot_of(old.state.assigned_to)
            self.imap.select_folder(self.inbox)
            messages = self.fetch(tuple(m.uid for m in cached))
            if not self._apply(plan_store(messages, old.state, self._slots())):
                continue
            with self.db.transaction() as tx:
                update_cached_flags(tx, self.fetch(tuple(m.uid for m in cached)))
            if old.state.status or old.writer:
                raw = statefolder.build_detail_message(
                    self.account, old.writer or "", cid, old.state, old.written_at
                )
                statefolder.append_message(self.imap, raw)
            done += 1
        self.refresh_log()
        log.info("moved the team state of %d conversation(s) to the bounded keyword scheme", done)
        return done == len(found)
        return done

    def forget(self, agent: str) -> int:
        """Give ``agent``'s slot back: their claims are dropped first, so a newcomer in the
        slot does not inherit them. Returns how many messages lost the claim."""
        self.refresh_log()
        slot = self._slots().get(agent)
        if slot is None:
            raise NotFound(f"{agent} has no team slot on this mailbox (see 'supportinbox team status')")
        self.imap.select_folder(self.inbox)
        keyword = holder_keyword(slot)
        uids = tuple(self.imap.search(["KEYWORD", keyword]))
        if uids:
            self._store(uids, "-FLAGS", (keyword,), 0)
            with self.db.transaction() as tx:
                update_cached_flags(tx, self.fetch(uids))
        raw = statefolder.build_registry_message(
            self.account, self.account.agent, agent, slot, statefolder.FREE
        )
        statefolder.append_message(self.imap, raw)
        self.refresh_log()
        return len(uids)

    def _back_off(self, messages: list[MessageFlags], change: Change) -> None:
        """Remove a claim keyword of ours that landed although the claim lost."""
        if not (change.sets_claim and change.assigned_to):
            return
        slot = self._slots().get(change.assigned_to)
        if slot is None:
            return
        mine = holder_keyword(slot)
        uids = tuple(m.uid for m in messages if mine in {f.lower() for f in m.flags})
        if uids:
            self._store(uids, "-FLAGS", (mine,), 0)


class FolderServer:
    """Shared state as messages in the hidden state folder (no custom keywords)."""

    mode = FOLDER

    def __init__(self, imap: IMAPClient, db: Database, account: AccountConfig, inbox: str) -> None:
        self.imap = imap
        self.db = db
        self.account = account
        self.inbox = inbox

    def read(self, ref: ConversationRef) -> Resolution:
        statefolder.sync_log(self.imap, self.db, self.account)
        entries = statefolder.log_entries(self.db.conn, ref.id).get(ref.id, [])
        return statefolder.resolve_log(entries)[0]

    def read_flags(self, ref: ConversationRef) -> tuple[Resolution, list[MessageFlags]]:
        """The conversation's state and its messages' flags as the server has them now."""
        self.imap.select_folder(self.inbox)
        messages = fetch_flags(self.imap, ref.uids, b"CONDSTORE" in self.imap.capabilities())
        return self.read(ref), messages

    def settle(self, ref: ConversationRef, agent: str) -> Resolution:
        """Nothing to settle: the log itself decides (see :mod:`supportinbox.team.statefolder`)."""
        del agent
        return self.read(ref)

    def write(self, ref: ConversationRef, change: Change, agent: str) -> WriteResult:
        statefolder.sync_log(self.imap, self.db, self.account, create=True)
        entries = statefolder.log_entries(self.db.conn, ref.id).get(ref.id, [])
        before = statefolder.resolve_log(entries)[0]
        _check_holder(change, before, ref.id)
        target = change.apply(before.state)
        if target == before.state:
            return WriteResult(before, before, False)
        at = change.status_time(before)
        statefolder.append_state(self.imap, self.account, agent, ref.id, target, before.modseq or 0, at)
        statefolder.sync_log(self.imap, self.db, self.account)
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


def detect_mode(imap: IMAPClient, account: AccountConfig, inbox: str) -> tuple[str, str]:
    """Which backend this server supports, and why, in words for ``team status``.

    ``team_state`` in the config decides when set. Otherwise PERMANENTFLAGS must allow
    new keywords (``\\*``) and, since some servers announce that and drop them, a real
    keyword must stick: :data:`PROBE` is set on the newest inbox message, read back and
    cleared at once.
    """
    if account.team_state == FOLDER:
        return FOLDER, 'team_state = "folder" in the config'
    info = imap.select_folder(inbox)
    if account.team_state == KEYWORDS:
        return KEYWORDS, 'team_state = "keywords" in the config'
    if not keywords_supported(info):
        return FOLDER, f"the server stores no custom keywords in {inbox} (its PERMANENTFLAGS lack \\*)"
    if not int(info.get(b"EXISTS", 0) or 0):
        return KEYWORDS, f"the server announces custom keywords in {inbox} (not tried yet: it is empty)"
    uid = _newest_uid(imap)
    if uid is None:
        return KEYWORDS, f"the server announces custom keywords in {inbox} (not tried yet: it is empty)"
    try:
        imap.add_flags([uid], [PROBE], silent=True)
        flags = imap.get_flags([uid]).get(uid, ())
        imap.remove_flags([uid], [PROBE], silent=True)
    except IMAPClientError as exc:
        answer = one_line(str(exc), limit=120)
        return FOLDER, f"the server announces custom keywords in {inbox} but refused one ({answer})"
    if PROBE not in {bytes(f).decode("ascii", "replace").lower() for f in flags}:
        return FOLDER, f"the server announces custom keywords in {inbox} but did not keep one that was set"
    return KEYWORDS, f"the server keeps custom keywords in {inbox} (checked by setting one)"


def _newest_uid(imap: IMAPClient) -> int | None:
    """The UID of the newest message of the selected folder (``UID FETCH *``, one line)."""
    imap4: Any = imap._imap
    typ, data = imap4.uid("FETCH", "*", "(UID)")
    for item in data if typ == "OK" else ():
        found = re.search(rb"UID (\d+)", item if isinstance(item, bytes) else b"")
        if found:
            return int(found.group(1))
    return None


def open_team_server(
    imap: IMAPClient, db: Database, account: AccountConfig, inbox: str, *, recheck_after: float | None = None
) -> TeamServer:
    """The backend this server supports; records the mode and why in the cache for ``team status``.

    With ``recheck_after`` (seconds), a mode found less than that long ago is trusted
    without asking the server, which keeps a sync with nothing to do cheap.
    """
    known = marks.mode_trusted(db, time.time(), recheck_after)
    if known is not None:
        return _server(known, imap, db, account, inbox)
    known = db.get_meta(MODE_META)
    mode, reason = detect_mode(imap, account, inbox)
    if known != mode and mode == FOLDER:
        log.warning("team state goes to the folder %r: %s", statefolder.STATE_FOLDER, reason)
    with db.transaction():
        db.set_meta(MODE_META, mode)
        db.set_meta(MODE_REASON_META, reason)
        db.set_meta(MODE_CHECKED_META, marks.checked_at(time.time()))
    return _server(mode, imap, db, account, inbox)


def _server(mode: str, imap: IMAPClient, db: Database, account: AccountConfig, inbox: str) -> TeamServer:
    if mode == KEYWORDS:
        return KeywordServer(imap, db, account, inbox)
    return FolderServer(imap, db, account, inbox)
