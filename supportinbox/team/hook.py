"""The sync hook that carries team state and notes between teammates.

After every sync (when the cache holds the server's current flags) it:

1. uploads notes written offline and downloads teammates' notes;
2. merges each conversation's shared state three ways (local, last agreed, server; see
   :mod:`supportinbox.team.merge`), writes what changed locally and pushes local changes
   (claims made offline, statuses set by any command) to the server;
3. settles coexisting claims so every client agrees on one holder;
4. records what teammates did and how conflicts ended in ``team_events`` (also on
   :attr:`TeamSyncHook.events` for the caller's summary).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from imapclient.exceptions import IMAPClientError

from supportinbox.config import AccountConfig, Config
from supportinbox.domain.safetext import isolate, one_line
from supportinbox.domain.when import stamp
from supportinbox.errors import UserError
from supportinbox.store.facts import agent_of
from supportinbox.store.handovers import handed_over_by, recount
from supportinbox.store.rebuild import TEAM_QUIET_META
from supportinbox.store.threadlinks import carry_merged, merged_into
from supportinbox.store.triage_fresh import refresh_if_stale
from supportinbox.team import followups, incidents, marks, notes, statefolder, tags, threads
from supportinbox.team.keywords import Resolution, TeamState
from supportinbox.team.merge import claim_dropped, kept_over, merge
from supportinbox.team.server import (
    FOLDER,
    MODE_RECHECK_SECONDS,
    Change,
    KeywordServer,
    TeamConflict,
    TeamServer,
    open_team_server,
)
from supportinbox.team.store import (
    TeamEvent,
    add_event,
    base_states,
    cached_conversations,
    conversation_ref,
    held_by,
    local_state,
    local_states,
    local_updated_at,
    set_base,
    write_local,
)

if TYPE_CHECKING:
    from imapclient import IMAPClient

    from supportinbox.mail.imap import FolderRoles
    from supportinbox.store.db import Database

log = logging.getLogger(__name__)

# The state-folder message up to which lost claims were already reported.
_META_REPORTED = "team_state_reported_uid"


class TeamSyncHook:
    """Registered by :func:`supportinbox.sync.hooks.default_hooks`."""

    def __init__(self, config: Config, account_name: str, account: AccountConfig) -> None:
        self.config = config
        self.account_name = account_name
        self.account = account
        self.events: list[TeamEvent] = []
        self.problems: list[str] = []
        self.mode: str | None = None
        self._held: set[str] = set()  # what this agent held when the sync began
        self._messages_before: int | None = None  # the newest cached message when it began
        self._yours: list[TeamEvent] = []  # events about this agent's own follow-ups

    def before(self, imap: IMAPClient, db: Database, folders: FolderRoles) -> None:
        """Note what this agent holds (local changes are pushed after the sync, against fresh
        server flags)."""
        self._held = held_by(db.conn, self.account.agent)
        newest = db.conn.execute("SELECT MAX(id) FROM messages").fetchone()[0]
        self._messages_before = int(newest) if newest is not None else None

    def for_me(self, db: Database) -> list[TeamEvent]:
        """This sync's events the agent must hear at once, not only find in the log: those on
        conversations they held or hold now (a note, a reply sent anyway, a hand-over to them,
        a claim taken away) and every conflict."""
        mine = self._held | held_by(db.conn, self.account.agent)
        yours = {id(e) for e in self._yours}
        return [e for e in self.events if e.kind == "conflict" or e.conversation_id in mine or id(e) in yours]

    def after(self, imap: IMAPClient, db: Database, folders: FolderRoles) -> None:
        """Exchange notes and merge the shared state of every conversation."""
        self.events = []
        self._yours = []
        self.problems = []
        rebuilt = db.get_meta(TEAM_QUIET_META) == "1"
        try:
            self._after(imap, db, folders)
            if rebuilt or self._messages_before is None:
                # A rebuilt cache took in again what it had been told before, a new one the
                # team's state as it stands (every claim held, every status set): no news.
                self.events = []
            if rebuilt and not self.problems:
                with db.transaction():
                    db.set_meta(TEAM_QUIET_META, "0")
        finally:
            self._record_events(db)

    def _after(self, imap: IMAPClient, db: Database, folders: FolderRoles) -> None:
        # A server refusing a team command (NO/BAD) must not fail the sync of the mail itself:
        # the problem is reported and the work is retried at the next sync.
        try:
            taken, merged = threads.exchange(imap, db, self.account)
            for regrouped in merged:
                self._event(
                    db, regrouped.conversation_id, regrouped.kind, regrouped.author, regrouped.describe()
                )
            if taken:
                # Regroup before anything is matched to conversations by id.
                refresh_if_stale(db, self.config, self.account)
        except IMAPClientError as exc:
            self.problems.append(f"merges not exchanged: {one_line(str(exc), limit=200)}")
        self._teammates_replies(db)
        try:
            self._exchange_notes(imap, db)
        except IMAPClientError as exc:
            self.problems.append(f"notes not exchanged: {one_line(str(exc), limit=200)}")
        try:
            self._exchange_followups(imap, db)
        except IMAPClientError as exc:
            self.problems.append(f"follow-ups not exchanged: {one_line(str(exc), limit=200)}")
        try:
            for closed in incidents.exchange(imap, db, self.account)[1]:
                title = one_line(closed.title, limit=60)
                text = f"{closed.author} closed incident {closed.incident_id} ({isolate(title)})"
                self._event(db, None, "incident", closed.author, text)
        except IMAPClientError as exc:
            self.problems.append(f"incident closes not exchanged: {one_line(str(exc), limit=200)}")
        try:
            for item in tags.exchange(imap, db, self.account)[1]:
                self._event(db, item.conversation_id, "tags", item.author, item.describe())
        except IMAPClientError as exc:
            self.problems.append(f"tags not exchanged: {one_line(str(exc), limit=200)}")
        try:
            # Known to teammates from the first sync: a hand-over to this agent is no typo.
            if statefolder.announce(imap, db, self.account):
                log.info("announced %s to the team in %s", self.account.agent, statefolder.STATE_FOLDER)
        except IMAPClientError as exc:
            self.problems.append(f"not announced to the team: {one_line(str(exc), limit=200)}")
        with db.transaction() as tx:
            carried = carry_merged(tx)
        if carried:
            # Notes, tags or a follow-up that came under a merged-away id go with its messages.
            refresh_if_stale(db, self.config, self.account)
        try:
            server = open_team_server(
                imap, db, self.account, folders.inbox, recheck_after=MODE_RECHECK_SECONDS
            )
            self.mode = server.mode
            if _has_unlinked_team_messages(db):
                # Teammates' keywords on mail this client has just fetched: thread it first.
                refresh_if_stale(db, self.config, self.account)
            if isinstance(server, KeywordServer):
                server.refresh_log()
                self._migrate_legacy(db, server)
                statefolder.compact_details(imap, db)
            changed = self._merge_all(db, server, imap)
        except IMAPClientError as exc:
            self.problems.append(f"team state not exchanged: {one_line(str(exc), limit=200)}")
            return
        if changed:
            _reapply(db, changed)

    def _migrate_legacy(self, db: Database, server: KeywordServer) -> None:
        """Rewrite old-scheme keywords, looking for them only when cached mail changed.

        The look reads every cached inbox message (tens of milliseconds at 10,000); a sync
        that changed nothing (the cache's input version is the one of the last clean look)
        skips it. New mail or flags from an old client change the version.
        """
        if not marks.legacy_look_due(db):
            return
        if server.migrate_legacy():
            with db.transaction():
                db.set_meta(marks.LEGACY_CHECKED, db.get_meta(marks.TRIAGE_INPUT_VERSION) or "0")

    def _teammates_replies(self, db: Database) -> None:
        """Say which teammate answered a customer since the last sync (their reply, come in
        through Sent, names them): the one news that matters most to someone writing to the
        same customer. A first sync takes the mailbox in: nothing in it is news."""
        if self._messages_before is None:
            return
        query = (
            "SELECT m.conversation_id, m.raw_headers FROM messages m JOIN folders f ON f.id = m.folder_id "
            "WHERE f.role = 'sent' AND m.id > ? ORDER BY m.id"
        )
        rows = db.conn.execute(query, (self._messages_before,)).fetchall()
        if any(row[0] is None for row in rows):
            refresh_if_stale(db, self.config, self.account)  # thread them first
            rows = db.conn.execute(query, (self._messages_before,)).fetchall()
        for cid, headers in rows:
            agent = agent_of(headers or "")
            if cid and agent and agent != self.account.agent:
                self._event(db, str(cid), "reply", agent, f"{agent} replied to the customer")

    def _exchange_notes(self, imap: IMAPClient, db: Database) -> None:
        uploaded = notes.upload_pending(imap, db, self.account)
        if uploaded:
            log.info("uploaded %d note(s)", uploaded)
        arrived = notes.download(imap, db, self.account)
        for note in arrived:
            if note.author != self.account.agent:
                said = f"{note.author} added a note: {isolate(one_line(note.body, limit=80))}"
                self._event(db, note.conversation_id, "note", note.author, said)
        recount(db, [note.conversation_id for note in arrived])  # hand-overs are notes

    def _exchange_followups(self, imap: IMAPClient, db: Database) -> None:
        changed, received = followups.exchange(imap, db, self.account)
        for item in received:
            # A promise of this agent's a teammate cleared or moved is theirs to hear at once.
            whose = "your" if item.replaced == self.account.agent else "the"
            text = f"{item.author} cleared {whose} follow-up"
            if item.due_at is not None:
                text = f"{item.author} set a follow-up for {stamp(item.due_at)}"
                if whose == "your":
                    text = f"{item.author} moved your follow-up to {stamp(item.due_at)}"
            event = self._event(db, item.conversation_id, "followup", item.author, text)
            if whose == "your":
                self._yours.append(event)
        if changed:
            _reapply(db, changed)

    def _server_states(self, db: Database, server: TeamServer, imap: IMAPClient) -> dict[str, Resolution]:
        if server.mode == FOLDER:
            statefolder.sync_log(imap, db, self.account)
            reported = int(db.get_meta(_META_REPORTED) or 0)
            states = {}
            for cid, entries in statefolder.log_entries(db.conn).items():
                resolution, conflicts, _ = statefolder.resolve_log(entries)
                states[cid] = resolution
                for lost in conflicts:
                    if lost.author == self.account.agent and lost.uid > reported:
                        text = f"{lost.holder} claimed it first and keeps it"
                        self._event(db, cid, "conflict", lost.holder or "", text)
            newest = db.conn.execute("SELECT MAX(uid) FROM team_state_log WHERE kind = 'state'").fetchone()[0]
            if newest and int(newest) > reported:
                with db.transaction():
                    db.set_meta(_META_REPORTED, str(newest))
            return states
        assert isinstance(server, KeywordServer)
        cached = cached_conversations(db.conn)
        return server.resolve_all({cid: c.messages for cid, c in cached.items()})

    def _merge_all(self, db: Database, server: TeamServer, imap: IMAPClient) -> list[str]:
        inputs = marks.merge_inputs(db)
        if server.mode != FOLDER and inputs is not None and db.get_meta(marks.MERGED) == inputs:
            return []  # no message or local state changed since the last merge
        problems = len(self.problems)
        changed, kept = self._merge(db, server, imap)
        after = marks.merge_inputs(db)
        # A change that could not be pushed, or one made here during the merge, must be
        # merged (sent) next time.
        if after is not None and len(self.problems) == problems and not kept:
            with db.transaction():
                db.set_meta(marks.MERGED, after)
        return changed

    def _merge(self, db: Database, server: TeamServer, imap: IMAPClient) -> tuple[list[str], bool]:
        """Merge every conversation's state; the conversations whose local state changed, and
        whether a change made here meanwhile was kept for the next merge."""
        me = self.account.agent
        remote_states = self._server_states(db, server, imap)
        locals_ = local_states(db.conn)
        bases = base_states(db.conn)
        known = {r[0] for r in db.conn.execute("SELECT id FROM conversations")}
        changed: list[str] = []
        kept_here = False
        waiting: list[str] = []
        writes: list[tuple[str, TeamState, str, str | None, int | None]] = []
        for cid in sorted((set(remote_states) | set(locals_) | set(bases)) & known):
            remote = remote_states.get(cid, Resolution(TeamState()))
            local = locals_.get(cid, TeamState())
            base = bases.get(cid, TeamState())
            handed_by = None
            if remote.state.assigned_to == me != base.assigned_to and remote.last_writer is None:
                handed_by = handed_over_by(db.conn, cid, me)  # the note came with the claim
            decision = merge(local, base, remote, me, handed_by, local_updated_at(db.conn, cid))
            for notice in decision.notices:
                self._event(db, cid, notice.kind, notice.agent, notice.text)
            final, writer, written_at = decision.state, remote.last_writer or me, remote.written_at
            try:
                ref = conversation_ref(db.conn, cid)
                if decision.push is not None and not ref.uids and server.mode != FOLDER:
                    # No inbox message to carry keywords (the customer's mail was deleted or
                    # moved): the state stays here and goes with the next one that arrives.
                    waiting.append(cid)
                    continue
                if decision.push is not None:
                    push = replace(decision.push, written_at=local_updated_at(db.conn, cid))
                    result = server.write(ref, push, me)
                    final, writer, written_at = result.after.state, me, result.after.written_at
                elif server.mode != FOLDER and (remote.divergent or len(remote.claimants) > 1):
                    final = server.settle(ref, me).state
            except TeamConflict as exc:
                try:
                    final, writer, written_at = self._claim_lost(db, server, cid, decision.push, exc)
                except (UserError, IMAPClientError) as again:
                    self.problems.append(f"team state of {cid} not sent: {one_line(str(again), limit=200)}")
                    continue
            except (UserError, IMAPClientError) as exc:
                # Left as it is locally: pushed again at the next sync.
                self.problems.append(f"team state of {cid} not sent: {one_line(str(exc), limit=200)}")
                continue
            if final == local and final == bases.get(cid):
                continue
            writes.append((cid, final, writer, written_at, remote.modseq))
        # One transaction for all: a sync that brings hundreds of teammates' claims stays quick.
        # A key pressed in the app while the server was asked (the cache is not locked meanwhile)
        # changed the local state after it was read above: that change is kept, not overwritten.
        with db.transaction() as tx:
            for cid, final, writer, written_at, modseq in writes:
                local = local_state(tx, cid)
                kept = kept_over(final, locals_.get(cid, TeamState()), local)
                if kept != local:
                    if kept == final:
                        write_local(tx, cid, final, by=writer, updated_at=written_at, modseq=modseq)
                    else:
                        write_local(tx, cid, kept, by=me, updated_at=local_updated_at(tx, cid), modseq=modseq)
                    changed.append(cid)
                kept_here = kept_here or kept != final
                set_base(tx, cid, final)
            db.set_meta(marks.WAITING, " ".join(waiting))
        return changed, kept_here

    def _claim_lost(
        self, db: Database, server: TeamServer, cid: str, pushed: Change | None, exc: TeamConflict
    ) -> tuple[TeamState, str, str | None]:
        """A teammate's claim reached the server between this sync's read and its write: theirs
        stands, the user is told what of theirs was dropped, and a status changed here beside
        the claim (no one contested it) is still written. The state, its writer and time."""
        me = self.account.agent
        text = exc.message
        if pushed is not None and pushed.sets_claim and exc.holder:
            text = claim_dropped(exc.holder, pushed.assigned_to, me)
        self._event(db, cid, "conflict", exc.holder or "", text)
        ref = conversation_ref(db.conn, cid)
        after = server.read(ref)
        if pushed is None or not pushed.sets_status:
            return after.state, after.last_writer or exc.holder or me, after.written_at
        status_only = replace(
            pushed,
            assigned_to=after.state.assigned_to,
            sets_claim=False,
            expect_holder=None,
            written_at=local_updated_at(db.conn, cid),
        )
        result = server.write(ref, status_only, me)
        return result.after.state, me, result.after.written_at

    def summary_lines(self) -> list[str]:
        """One line per teammate change, conflict or problem of the last sync (for its summary)."""
        lines = [f"team: {one_line(e.said(), limit=200, isolates=True)}" for e in self.events]
        if self.mode == FOLDER:
            lines.append(
                "team: this server refuses custom keywords; team state uses the folder 'Support State'"
            )
        return lines + [f"team: {one_line(p, limit=200)}" for p in self.problems]

    def _event(self, db: Database, cid: str | None, kind: str, agent: str, text: str) -> TeamEvent:
        named = ""
        if cid:
            query = "SELECT subject, customer_name, customer_email FROM conversations WHERE id = ?"
            row = db.conn.execute(query, (cid,)).fetchone()
            into = merged_into(db.conn, cid) if row is None and kind not in ("merge", "split") else None
            if into is not None:
                # Shared under an id merged away since: the conversation it is part of now.
                cid = into
                row = db.conn.execute(query, (cid,)).fetchone()
            if row:
                # The customer first: contact forms give many conversations one subject. Each
                # isolated: an Arabic name beside an Arabic subject would read as one run.
                customer = isolate(one_line(row[1] or row[2], limit=40))
                subject = isolate(one_line(row[0], limit=60))
                named = f"{customer}: {subject}" if customer and subject else customer or subject
        full = f"{cid} ({named}): {text}" if cid and named else f"{cid}: {text}" if cid else text
        event = TeamEvent(cid, kind, agent, full)
        self.events.append(event)
        if kind == "conflict":
            log.warning("team conflict on %s: %s", cid or "-", text)
        return event

    def _record_events(self, db: Database) -> None:
        if self.events:
            with db.transaction() as tx:
                for event in self.events:
                    add_event(tx, event)


def _reapply(db: Database, changed: Iterable[str]) -> None:
    # The queue's module (and all it imports) loads only when a teammate changed something.
    from supportinbox.store.conversations import reapply_state

    reapply_state(db, changed)


def _has_unlinked_team_messages(db: Database) -> bool:
    row = db.conn.execute(
        "SELECT 1 FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.role = 'inbox' "
        "AND m.conversation_id IS NULL AND m.flags LIKE '%$si-%' LIMIT 1"
    ).fetchone()
    return row is not None
