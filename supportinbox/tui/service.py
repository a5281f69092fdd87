"""What the screens need from the cache and the servers, as plain blocking calls.

The screens never touch SQL, IMAP or SMTP themselves. Reads that an index answers in
milliseconds (a page of the queue, one conversation) are called from the UI thread on
:attr:`InboxService.reader`; everything that writes or talks to a server runs in a worker
thread on a connection of its own (:meth:`InboxService.writer`). No lock of ours is held
across network I/O, and every SQLite write transaction is short, so a status, claim or
note changed while a sync waits on a frozen server is in the cache at once (SQLite in WAL
mode lets the UI keep reading meanwhile); :meth:`InboxService.share` then tells the team.
This module imports no Textual, so it is tested without a terminal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportinbox import paths
from supportinbox.app.context import AccountContext, AccountHome
from supportinbox.app.mailbox import Mailbox, ServerMailbox
from supportinbox.app.sending import RetryRound, Sender, SendResult, SmtpSender
from supportinbox.config import HoursConfig
from supportinbox.domain import languages, replies, sla
from supportinbox.domain.conversation import ConversationDetail, ConversationSummary, MessageView
from supportinbox.domain.report import Grouping, Report
from supportinbox.domain.safetext import one_line
from supportinbox.domain.tags import TagChange
from supportinbox.domain.templates import BLANK, Template, TemplateScan, scan_templates
from supportinbox.domain.when import count_of, parse_time
from supportinbox.errors import NotFound, UserError
from supportinbox.mail import drafts, variants
from supportinbox.mail.idle import KEEPALIVE_SECONDS
from supportinbox.mail.outbox import SendStatus
from supportinbox.store import conversations, incident_head, junk
from supportinbox.store import outbox as outbox_store
from supportinbox.store.customers import CustomerProfile, customer_profile
from supportinbox.store.db import Database, open_database, utcnow_iso
from supportinbox.store.junk import JunkSuspect
from supportinbox.store.messages import last_synced
from supportinbox.store.outbox import OutboxRow
from supportinbox.store.tags import tag_counts
from supportinbox.tui.incident_rows import IncidentFolding

if TYPE_CHECKING:
    from supportinbox.app import outbox as outbox_use
    from supportinbox.app.context import AccountContext
    from supportinbox.domain.topics import Topic  # loads the stemmers: only with the report
    from supportinbox.mail.idle import Changes
    from supportinbox.sync.push import PushWatcher

VIEWS: tuple[tuple[str, str], ...] = (
    ("open", "Open"),
    ("pending", "Pending"),
    ("snoozed", "Snoozed"),
    ("closed", "Closed"),
    ("junk", "Junk suspects"),
    ("all", "All"),
    ("automated", "Automated"),
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SyncOutcome:
    """What one sync did, in words for the status bar; ``notice``: what the user must hear."""

    summary: str
    synced_at: str | None
    # Messages the server could not send, left there (one line each, for a warning).
    skipped: tuple[str, ...] = ()
    notice: str = ""
    notice_warns: bool = False  # a reply did not go out: said louder and longer
    # What teammates did to conversations this agent holds or held, and conflicts.
    team: tuple[str, ...] = ()
    teammates: tuple[tuple[str | None, str], ...] = ()  # all they did, by conversation
    cleared: str = ""  # a stopped rebuild's unfinished new cache, removed


class InboxService:
    """One account's cache and servers, seen from the terminal UI."""

    def __init__(
        self,
        home: AccountHome,
        *,
        sender: Sender | None = None,
        mailbox: Mailbox | None = None,
        templates: Path | None = None,
    ) -> None:
        self.home = home
        self.config = home.config
        self.account_name = home.account_name
        self.account = home.account
        self.db_path = home.db_path
        # Where replies go once their undo window is over (the account's SMTP server).
        self.sender: Sender = sender or SmtpSender(home)
        # Where new mail comes from and team changes go (the account's IMAP server).
        self.mailbox: Mailbox = mailbox or ServerMailbox(home)
        self._templates = templates  # the reply templates' folder (None: the user's)
        self._started = datetime.now(UTC)  # replies queued before this were queued before the app stopped
        self._reader: Database | None = None
        self._swapped = False  # the reader was reopened on a new file, not yet said
        # Conversations changed here while a sync runs: its queue refresh read their state
        # before the change, so it is applied again after the refresh.
        self._touched_lock = threading.Lock()
        self._touched: set[str] | None = None
        self._push: PushWatcher | None = None
        self._push_lock = threading.Lock()
        self._push_stopped = False
        # Seconds between two keep-alives of the push connection (a silent server is noticed then).
        self.push_keepalive = KEEPALIVE_SECONDS
        self._clock: datetime | None = None
        self._search_lock = threading.Lock()
        self._searching: Database | None = None
        self._counted: tuple[tuple[int, int], dict[str, int]] | None = None

    def now(self) -> datetime:
        """The current time (frozen in tests and snapshots)."""
        return self.home.clock()

    @property
    def reader(self) -> Database:
        """The connection the UI thread reads through (anew once a rebuild replaced the file:
        reading applies the clock, and a write to the old file is refused)."""
        if self._reader is not None and self._reader.replaced():
            self._reader.close()
            self._reader = None
            self._counted = None
            self._swapped = True
        if self._reader is None:
            self._reader = open_database(self.db_path)
        return self._reader

    def reopen_if_replaced(self) -> bool:
        """Read the cache at :attr:`db_path` anew if another file stands there now (a ``cache
        rebuild`` run elsewhere swapped its new cache in); True if it did, once per swap.

        Writers open the path each time and so already write to the new file; the reading
        connection would go on showing the old one, deleted, until the app restarts.
        """
        if self._reader is not None:
            _ = self.reader  # reopens it if replaced
        swapped, self._swapped = self._swapped, False
        return swapped

    @contextmanager
    def writer(self) -> Iterator[Database]:
        """A connection of this worker's own for writing (closed afterwards)."""
        db = open_database(self.db_path)
        try:
            yield db
        finally:
            db.close()

    def close(self) -> None:
        """Stop waiting for changes and close the reading connection (on exit or account switch)."""
        self.stop_waiting()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._counted = None

    def _touch(self, conversation_id: str) -> None:
        with self._touched_lock:
            if self._touched is not None:
                self._touched.add(conversation_id)

    @property
    def has_server(self) -> bool:
        """A server behind the cache: the app syncs with it on a timer, watches it for new mail
        and sends read state to it by itself. The screens ask this, never which kind of account
        it is."""
        return self.mailbox.has_server

    @property
    def label(self) -> str:
        """Words beside the account name in the status bar ("" for an account on a server)."""
        return self.mailbox.label

    def banner(self) -> str:
        """A line above the queue and the thread ("" for an account on a server)."""
        return self.mailbox.banner()

    # -- reads (UI thread) ----------------------------------------------------------------

    def _read_clock(self) -> datetime:
        """The moment UI reads are made at: the last one the clock was applied for.

        Reading the queue applies the clock (snoozes ending, SLAs passing), which may write.
        :meth:`tick_clock` does that writing in a worker; reads then ask for the moment it
        already applied, so the UI thread never waits for a write lock held by a sync.
        """
        if self._clock is None:
            self._clock = self.now()
        return self._clock

    def tick_clock(self) -> int:
        """Apply the clock in a worker thread; returns how many conversations changed."""
        moment = self.now()
        with self.writer() as db:
            changed = conversations.apply_clock(db, moment)
        self._clock = moment
        return changed

    def queue_count(self, view: str) -> int:
        """How many conversations ``view`` holds (``junk``: suspects in the spam folder)."""
        counts = self.view_counts()
        return counts.get(view, 0)

    def view_counts(self) -> dict[str, int]:
        """How many rows each view holds: counted once per change of the cache.

        A view switch asks twice (the view's rows, the tabs' counts), a refresh after each
        sync or change again: counting is a scan of the status index and of the suspects.
        """
        conn = self.reader.conn
        # Another connection's commit changes data_version; this one's own writes (the
        # clock applied on read) change total_changes.
        version = (int(conn.execute("PRAGMA data_version").fetchone()[0]), conn.total_changes)
        if self._counted is None or self._counted[0] != version:
            counts: dict[str, int] = dict(conversations.queue_counts(self.reader))
            counts["all"] = sum(counts.values())
            counts["junk"] = len(self.junk_suspects())
            self._counted = (version, counts)
        return dict(self._counted[1])

    def queue_page(self, view: str, offset: int, limit: int) -> Sequence[ConversationSummary]:
        """``limit`` conversations of ``view`` from ``offset``, in the order of ``list``."""
        return conversations.list_queue(
            self.reader, status=view, limit=limit, offset=offset, now=self._read_clock()
        )

    def incident_folding(self, view: str, expanded: set[str]) -> IncidentFolding:
        """The pages of ``view`` with each incident folded into one row (``expanded``: unfolded)."""
        return IncidentFolding(
            lambda: self.queue_count(view),
            lambda offset, limit: self.queue_page(view, offset, limit),
            lambda: incident_head.incident_head(self.reader, status=view, now=self._read_clock()),
            lambda ids: incident_head.queue_summaries(self.reader, ids, now=self._read_clock()),
            expanded,
        )

    def queue_position(self, view: str, conversation_id: str) -> int | None:
        """Where the conversation stands in ``view`` (as :meth:`queue_page` orders it), or None."""
        return conversations.queue_position(self.reader, conversation_id, view)

    def conversation(self, conversation_id: str) -> ConversationDetail:
        return conversations.get_conversation(self.reader, conversation_id, now=self._read_clock())

    def customer_conversations(self, email: str, *, exclude: str) -> list[ConversationSummary]:
        """The customer's other conversations, most urgent first."""
        if not email:
            return []
        return conversations.customer_conversations(
            self.reader, email, exclude=exclude, limit=20, now=self._read_clock()
        )

    def same_name_hint(self, name: str, email: str) -> str:
        """The profile's hint that another customer has this one's full name ("" for none)."""
        from supportinbox.store.customers import same_name_hint

        return same_name_hint(self.reader, name, email)

    def customer_profile(self, email: str, *, by_domain: bool = False) -> CustomerProfile:
        """The customer's profile: first seen, every conversation, notes (see store.customers)."""
        return customer_profile(self.reader, email, by_domain=by_domain, now=self._read_clock())

    def search(self, query: str, limit: int = 200) -> list[ConversationSummary]:
        """Conversations matching ``query`` (words, from:, status:, owner:, is:urgent, is:unread)."""
        return conversations.search(
            self.reader, query, limit=limit, now=self._read_clock(), me=self.account.agent
        )

    def search_fresh(self, query: str, limit: int = 200) -> list[ConversationSummary]:
        """:meth:`search` for a worker thread, on its own connection.

        A search that a newer one replaces is interrupted (SQLite stops mid-query), so
        typing fast never queues up slow full-text queries.
        """
        db = open_database(self.db_path)
        with self._search_lock:
            previous, self._searching = self._searching, db
        if previous is not None:
            previous.conn.interrupt()
        try:
            return conversations.search(db, query, limit=limit, now=self._read_clock(), me=self.account.agent)
        finally:
            with self._search_lock:
                if self._searching is db:
                    self._searching = None
            db.close()

    def report(self, since: timedelta, grouping: Grouping) -> Report:
        """The report of the last ``since`` (a worker thread: its own connection).

        Up to now, not the queue's read clock: that lags up to a tick behind, and a close
        or reply made since would be left out of the backlog. A report writes nothing."""
        from supportinbox.store.report import make_report

        with open_database(self.db_path) as db:
            return make_report(
                db,
                self.config,
                self.account,
                since=since,
                grouping=grouping,
                now=self.now(),
            )

    def topics(self, since: timedelta, limit: int = 10) -> list[Topic]:
        """What customers asked more in the last ``since`` than before (a worker thread)."""
        from supportinbox.store.report import make_topics

        with open_database(self.db_path) as db:
            return make_topics(db, self.account, since=since, now=self.now(), limit=limit)

    def sla_policy(self) -> sla.Policy:
        return sla.Policy.for_account(self.config, self.account)

    def junk_suspects(self, *, everything: bool = False) -> list[JunkSuspect]:
        """Real customers found in the spam folder, with the reasons (``everything``: every
        message in it, scored, most likely customer first)."""
        return junk.list_suspects(self.reader, include_all=everything)

    def outbox_count(self) -> int:
        """Replies not sent yet (queued, sending, failed or held)."""
        return outbox_store.waiting_count(self.reader.conn)

    def business_hours(self) -> HoursConfig | None:
        """The account's business hours, if it has any (for "next business hour")."""
        return self.config.sla_settings(self.account).hours

    def outbox_rows(self) -> list[OutboxRow]:
        """Replies not sent yet, oldest first."""
        return outbox_store.list_rows(self.reader.conn, outbox_store.WAITING)

    def next_retry(self) -> datetime | None:
        """When the next failed reply is due to be tried again by itself, if any."""
        moment = outbox_store.next_attempt(self.reader.conn)
        return parse_time(moment)

    def newest_message(self) -> int:
        """The cache row of the message fetched last (0: none): mail fetched later has a higher one."""
        row = self.reader.conn.execute("SELECT MAX(id) FROM messages").fetchone()
        return int(row[0]) if row and row[0] else 0

    def last_sync(self) -> str | None:
        return last_synced(self.reader.conn)

    # -- writes (worker threads) -------------------------------------------------------------

    def set_status(self, conversation_id: str, status: str, snoozed_until: datetime | None = None) -> str:
        """Set the status in the cache at once; :meth:`share` tells the team. Returns its id."""
        from supportinbox.app.status import set_status

        with self.home.open() as ctx:
            summary = set_status(ctx, conversation_id, status, snoozed_until=snoozed_until)
        self._touch(summary.id)
        return summary.id

    def claim(self, conversation_id: str) -> str:
        """Take the conversation for this agent in the cache at once; what happened, in words.

        A teammate's claim known here is refused with a
        :class:`~supportinbox.team.server.TeamConflict` naming them; one made meanwhile on
        the server is found by :meth:`share`.
        """
        from supportinbox.app import team_actions

        with self.home.open() as ctx:
            result = team_actions.claim(ctx, conversation_id, share=False)
        self._touch(result.conversation_id)
        return f"Claimed by {self.account.agent}"

    def release(self, conversation_id: str) -> str:
        """Give up this agent's claim in the cache at once (the undo of :meth:`claim`)."""
        from supportinbox.app import team_actions

        with self.home.open() as ctx:
            result = team_actions.release(ctx, conversation_id, share=False)
        self._touch(result.conversation_id)
        return "Released"

    def teammates(self) -> list[str]:
        """Agents seen on this mailbox (claims, team keywords, notes) besides this one."""
        from supportinbox.team.store import known_agents

        found = set(known_agents(self.reader.conn)) | set(self.account.agents)
        return sorted(found - {self.account.agent})

    def attachment_count(self, conversation_id: str) -> int:
        """How many attachments the conversation's messages carry (what a forward could attach)."""
        return sum(len(m.attachments) for m in self.conversation(conversation_id).messages)

    def handovers(self, conversation_id: str) -> int:
        """How often the conversation was handed over (the practice: at most once)."""
        from supportinbox.store.handovers import handover_count

        return handover_count(self.reader.conn, conversation_id)

    def assign(self, conversation_id: str, agent: str, note: str = "") -> str:
        """Hand the conversation to ``agent`` in the cache at once (recorded as a note the queue
        counts); :meth:`share` tells the team."""
        from supportinbox.app import handover

        with self.home.open() as ctx:
            result = handover.assign(ctx, conversation_id, agent, note=note, share=False)
        self._touch(result.conversation_id)
        return f"Handed over to {result.state.assigned_to or agent}"

    def forward(
        self,
        conversation_id: str,
        to: str,
        note: str = "",
        excerpt: int | None = None,
        *,
        attachments: bool = False,
    ) -> SendResult:
        """Forward the conversation (its last ``excerpt`` messages) to ``to`` through the outbox,
        recorded on it as a note; sent at once by :attr:`sender` (a failure waits in the outbox)."""
        from supportinbox.app import handover

        with self.home.open() as ctx:
            files = self.mailbox.fetch_attachment if attachments else None
            written = handover.write_forward(
                ctx, conversation_id, to, note=note, excerpt=excerpt, attachments=files
            )
            queued = handover.queue_forward(ctx, written, share=False)
        self._touch(written.conversation_id)
        return self.sender.deliver(queued.outbox_id)

    def add_note(self, conversation_id: str, text: str) -> str:
        """Keep an internal note in the cache at once; :meth:`share` uploads it."""
        from supportinbox.app import team_actions

        with self.home.open() as ctx:
            team_actions.add_note(ctx, conversation_id, text, share=False)
        return "Note added"

    def share(self, conversation_id: str) -> str:
        """Tell the team about this conversation's local changes (state and notes) now.

        Returns what the user should know ("" when it was shared); a teammate's claim made
        meanwhile raises :class:`~supportinbox.team.server.TeamConflict` (the cache then shows it).
        """
        return self.mailbox.share(conversation_id)

    def followup_note(self, conversation_id: str) -> str:
        """What was promised with the conversation's follow-up in force ("" when none)."""
        from supportinbox.store.followups import active_note

        return active_note(self.reader.conn, conversation_id) or ""

    def set_followup(self, conversation_id: str, due: datetime | None, note: str = "") -> str:
        """Set (``due`` ``None``: remove) a follow-up and share it with the team; what happened, in words."""
        from supportinbox.app import followups

        with self.home.open() as ctx:
            result = followups.set_followup(ctx, conversation_id, due, note, share=self.has_server)
        self._touch(result.conversation_id)
        return followups.said(result)

    def tag(self, conversation_id: str, change: TagChange) -> str:
        """Change the conversation's tags and share them with the team; what happened, in words."""
        from supportinbox.app import tags

        with self.home.open() as ctx:
            result = tags.tag(ctx, conversation_id, change, share=self.has_server)
        self._touch(result.conversation_id)
        return tags.said(result)

    def merge_candidates(self, conversation_id: str, email: str) -> list[ConversationSummary]:
        """What the merge picker offers: the customer's other conversations first, then the rest
        of the open queue and the latest others."""
        same = self.customer_conversations(email, exclude=conversation_id)
        taken = {conversation_id, *(c.id for c in same)}
        rest = [
            c
            for c in conversations.list_queue(self.reader, status="all", limit=60, now=self._read_clock())
            if c.id not in taken
        ]
        return same + rest

    def customers_apart(self, conversations: Sequence[ConversationSummary]) -> list[str]:
        """Each conversation's customer, when merging them would join different customers."""
        from supportinbox.app import merge as merge_use

        return [c.label for c in merge_use.customers_apart(conversations)]

    def merge(self, conversation_id: str, others: Sequence[str], *, force: bool = False) -> str:
        """Merge ``others`` into the conversation (it stays) and share it; what happened, in words.

        ``force``: the user confirmed merging different customers' conversations."""
        from supportinbox.app import merge as merge_use

        with self.writer() as db:
            result = merge_use.merge(
                self._context(db), [conversation_id, *others], share=self.has_server, force=force
            )
        self._touch(result.conversation_id)
        return result.said()

    def split(self, conversation_id: str, message_number: int) -> tuple[str, str]:
        """Start a new conversation at the message (1 is the first); its id and what happened."""
        from supportinbox.app import merge as merge_use

        with self.writer() as db:
            result = merge_use.split(
                self._context(db), conversation_id, str(message_number), share=self.has_server
            )
        self._touch(conversation_id)
        return result.conversation_id, result.said()

    def conversation_holding(self, message_ids: Sequence[str]) -> str | None:
        """The conversation one of ``message_ids`` is in now (the first one cached)."""
        from supportinbox.store.threadlinks import holder

        for message_id in message_ids:
            found = holder(self.reader.conn, message_id)
            if found is not None:
                return found
        return None

    def merged_into(self, conversation_id: str) -> str | None:
        """The conversation ``conversation_id`` was merged into, if it was."""
        from supportinbox.store.threadlinks import merged_into

        return merged_into(self.reader.conn, conversation_id)

    def _context(self, db: Database) -> AccountContext:
        from supportinbox.app.context import AccountContext

        return AccountContext(db, self.config, self.account_name, self.account, clock=self.now)

    def tags_in_use(self) -> list[str]:
        """Every tag in use, most used first (for the tag modal's hint)."""
        return [tag for tag, _ in tag_counts(self.reader)]

    def mark_spam(self, conversation_id: str) -> str:
        """Move the conversation's customer messages to the spam folder."""
        return self.mailbox.mark_spam(conversation_id)

    def junk_message(self, suspect: JunkSuspect) -> MessageView:
        """The suspect's message as cached, to read before rescuing it (NotFound once gone)."""
        return conversations.get_message(self.reader, suspect.rowid)

    def rescue(self, suspect: JunkSuspect) -> str:
        """Move a spam-folder message back to the inbox, where it joins its conversation."""
        return self.mailbox.rescue(suspect)

    def read_on_open(self, conversation_id: str) -> bool:
        """Mark an opened conversation read (``ui.mark_read = "open"``); True if anything changed."""
        from supportinbox.app import read_state

        with self.home.open() as ctx:
            change = read_state.read_on_open(ctx, conversation_id)
        return change is not None and change.changed > 0

    def mark_read(self, conversation_id: str, read: bool) -> str:
        """Mark a conversation read, or its latest message unread; what happened, in words."""
        from supportinbox.app import read_state

        with self.home.open() as ctx:
            read_state.mark_read(ctx, conversation_id, read)
        return "Marked read" if read else "Marked unread"

    def push_changes(self) -> bool:
        """Send queued flag changes to the server now (quietly kept for the next sync if it fails)."""
        return self.mailbox.push_changes()

    # -- attachments ------------------------------------------------------------------------

    def attachments_dir(self) -> Path:
        return self.mailbox.attachments_dir()

    def save_attachment(self, message: MessageView, attachment: dict[str, Any]) -> Path:
        """Fetch one attachment and save it under a safe, new file name."""
        from supportinbox.mail.attachments import safe_save

        data = self.mailbox.fetch_attachment(message, attachment)
        return safe_save(self.attachments_dir(), str(attachment.get("filename") or ""), data)

    # -- replies ----------------------------------------------------------------------------

    def templates_dir(self) -> Path:
        return self._templates or paths.templates_dir()

    def template_scan(self) -> TemplateScan:
        """The reply templates, by name, and the broken ones with their mistakes."""
        return scan_templates(self.templates_dir())

    def draft(self, conversation_id: str, template: Template) -> drafts.Draft:
        """The reply ``template`` renders for this conversation's customer (the live preview)."""
        return drafts.prepare_draft(
            self.reader,
            self.config,
            self.account,
            conversation_id,
            None if template is BLANK else template.name,
            templates_dir=template.path.parent,
            today=self.now().date(),
        )

    def template_variants(
        self, conversation_id: str, names: list[str]
    ) -> tuple[dict[str, str], languages.Detected | None]:
        """For each template with language variants, the one in the customer's language
        (run in a worker: the first detection loads the language model)."""
        chosen: dict[str, str] = {}
        found: languages.Detected | None = None
        bases = {languages.split_variant(n)[0] for n in names if languages.split_variant(n)[1]}
        with self.writer() as db:
            for base in sorted(bases):
                variant, detected = variants.variant_for(db, self.config, conversation_id, base, names)
                chosen[base] = variant
                found = found or detected
        return chosen, found

    def addressees(self, draft: drafts.Draft) -> replies.Addressees:
        """Where the draft's reply goes: the real To and Cc, and the Reply-To note."""
        return drafts.addressees(draft, self.account)

    def reply_warnings(self, draft: drafts.Draft) -> list[str]:
        """What to say before the draft is sent (the customer's mail gone, a bounced address)."""
        return drafts.warnings(self.reader, draft)

    def teammate_holding(self, conversation_id: str) -> str | None:
        """The teammate who holds the conversation (a claim not ours), as the cache last saw it."""
        try:
            holder = self.conversation(conversation_id).summary.assigned_to
        except NotFound:
            return None  # the conversation left the mailbox: nobody holds it
        return holder if holder and holder != self.account.agent else None

    def held_by_me(self, conversation_id: str) -> bool:
        """This agent holds the conversation, as the cache last saw it."""
        try:
            return self.conversation(conversation_id).summary.assigned_to == self.account.agent
        except NotFound:
            return False

    def awaiting_answer(self, conversation_ids: Sequence[str]) -> list[str]:
        """Of an incident's conversations, those whose customer still waits for an answer."""
        return drafts.awaiting_answer(self.reader, self.account, conversation_ids)

    def earlier_reply(self, conversation_id: str) -> drafts.EarlierReply | None:
        """Our reply since the customer last wrote (sent or still in the outbox), if any.

        None too when the conversation left the mailbox while the reply was written: the
        reply still goes to the outbox (held there: whether a teammate answered cannot be
        checked), never lost with the conversation.
        """
        try:
            return drafts.earlier_reply(self.reader, self.account, conversation_id)
        except NotFound:
            return None

    def queue(
        self,
        draft: drafts.Draft,
        body: str,
        send_at: datetime | None = None,
        *,
        again: bool,
        replaces: int | None = None,
    ) -> int:
        """Put the reply in the outbox, due after the undo window (or scheduled for ``send_at``:
        dated then, kept as a draft if the customer writes first); returns its outbox id.

        The checks of :func:`supportinbox.app.outbox.queue`, as for 'supportinbox reply':
        without ``again`` only as the first reply since the customer wrote
        (:class:`~supportinbox.mail.drafts.RepliedMeanwhile`), and never beside a reply held
        for a teammate but ``replaces`` (:class:`~supportinbox.mail.drafts.ReplyHeld`).
        """
        from supportinbox.app import outbox as outbox_use

        final = drafts.with_body(draft, body)
        msg = drafts.draft_message(final, self.config, self.account, now=send_at or self.now())
        with self.home.open() as ctx:
            undo = self.config.replies.undo_seconds_tui
            return outbox_use.queue(
                ctx, final, msg, undo_seconds=undo, send_at=send_at, again=again, replaces=replaces
            )

    def reopen(self, outbox_id: int) -> drafts.Draft:
        """A kept draft or held reply of the outbox, as a draft for the editor (see
        :func:`supportinbox.app.outbox.reopen`)."""
        from supportinbox.app import outbox as outbox_use

        with self.home.open() as ctx:
            return outbox_use.reopen(ctx, outbox_id, templates_dir=self.templates_dir())

    def edit_scheduled(self, outbox_id: int) -> outbox_use.ScheduledEdit:
        """Open a scheduled reply for editing: it does not leave until saved or given up (see
        :func:`supportinbox.app.outbox.edit_scheduled`)."""
        from supportinbox.app import outbox as outbox_use

        with self.home.open() as ctx:
            return outbox_use.edit_scheduled(ctx, outbox_id)

    def save_edit(
        self, edit: outbox_use.ScheduledEdit, text: str, send_at: datetime | None = None
    ) -> outbox_use.SavedEdit:
        """Save an edited scheduled reply, at its time or ``send_at``."""
        from supportinbox.app import outbox as outbox_use

        with self.home.open() as ctx:
            return outbox_use.save_edit(ctx, edit, text, send_at=send_at)

    def give_up_edit(self, edit: outbox_use.ScheduledEdit) -> bool:
        """Leave a scheduled reply as it was, on its schedule again."""
        from supportinbox.app import outbox as outbox_use

        with self.home.open() as ctx:
            return outbox_use.give_up_edit(ctx, edit)

    def replace(self, old_id: int, new_id: int) -> None:
        """The edited copy ``new_id`` takes the place of ``old_id`` (see
        :func:`supportinbox.app.outbox.replace`)."""
        from supportinbox.app import outbox as outbox_use

        with self.home.open() as ctx:
            outbox_use.replace(ctx, old_id, new_id)

    def reply_to_all(self, conversation_ids: Sequence[str], template: Template) -> list[str]:
        """Answer every conversation with ``template``, each its own reply; what went wrong, if anything.

        Each reply is prepared, queued and delivered exactly like a single one: its own
        greeting, language (the template's variant in it, if any), thread and quote, its own
        outbox entry and \\Answered flag. A failure stays in the outbox (see the Outbox view)
        and is reported; the others still go.
        """
        problems: list[str] = []
        scanned = {t.name: t for t in self.template_scan().templates}
        with self.writer() as db:
            chosen = variants.variant_for_each(
                db, self.config, conversation_ids, template.name, list(scanned)
            )
        for conversation_id in conversation_ids:
            try:
                draft = self.draft(conversation_id, scanned.get(chosen[conversation_id][0], template))
                result = self.deliver(self.queue(draft, draft.body, again=False))
            except UserError as exc:
                problems.append(f"{conversation_id}: {exc.message}")
                continue
            if not result.sent:  # held for a teammate, or failed: it waits in the outbox
                problems.append(f"{conversation_id}: {one_line(result.message, limit=200).rstrip('.')}")
        return problems

    def cancel(self, outbox_id: int) -> bool:
        """Cancel a queued reply (undo); False when it is already on its way."""
        from supportinbox.mail.outbox import cancel

        with self.writer() as db:
            return cancel(db, outbox_id)

    def deliver(self, outbox_id: int) -> SendResult:
        """Send one queued reply now (its undo window is over)."""
        return self.sender.deliver(outbox_id)

    def retry(self, outbox_id: int) -> SendResult:
        """Try a failed or held reply again now (a held one meets the teammate check again)."""
        return self.sender.retry(outbox_id)

    def send_anyway(self, outbox_id: int) -> SendResult:
        """Send a held reply without asking whether a teammate got there first."""
        return self.sender.send_anyway(outbox_id)

    def discard(self, outbox_id: int) -> bool:
        """Drop a reply that has not gone out; False when it is already on its way."""
        return self.cancel(outbox_id)

    def send_waiting(self) -> RetryRound:
        """Try the failed replies whose retry time has come (and queued ones left behind)."""
        return self.sender.send_waiting()

    def retry_failed_now(self) -> int:
        """The server is reachable again: the replies that failed meanwhile and wait for their
        retry time (up to an hour after several failures) become due now; how many."""
        if not self.sender.retries:
            return 0
        with self.writer() as db, db.transaction() as tx:
            return outbox_store.retry_now(tx, self.now())

    def scheduled_due(self) -> bool:
        """Whether a reply scheduled for a time that has come waits in the outbox."""
        stamp = self.now().astimezone(UTC).isoformat(timespec="seconds")
        rows = outbox_store.scheduled_rows(self.reader.conn)
        return any(r.not_before is not None and r.not_before <= stamp for r in rows)

    # -- sync -------------------------------------------------------------------------------

    def sync(self, progress: Progress) -> SyncOutcome:
        """Fetch new mail, rebuild the queue, send due replies; raises readable errors."""
        from supportinbox.app import sync as app_sync

        if not self.has_server:
            progress(self.label)
            return SyncOutcome(f"{self.label}: nothing to fetch", None)

        def report(folder: str, done: int, total: int) -> None:
            progress(f"{folder} {done}/{total}" if total else folder)

        with self._touched_lock:
            self._touched = set()
        try:
            with self.home.open() as ctx:
                result = self.mailbox.fetch(ctx, report)
                progress(app_sync.SORTING)
                app_sync.refresh_queue(ctx, changed_meanwhile=self._changed_meanwhile)
                summary = f"{result.new} new, {result.updated} changed"
                acknowledged = self._acknowledge_new(ctx)
                progress("sending due replies")
                notice, warns = self._send_due(ctx)
                if acknowledged:
                    notice = f"{acknowledged} {notice}".strip()
        finally:
            with self._touched_lock:
                self._touched = None
        return SyncOutcome(
            summary,
            utcnow_iso(),
            skipped=result.skipped,
            notice=notice,
            notice_warns=warns,
            team=result.team,
            teammates=result.teammates,
            cleared=_sentence(result.cleared[:1].upper() + result.cleared[1:]) if result.cleared else "",
        )

    def _changed_meanwhile(self) -> set[str]:
        """The conversations changed here since the sync began (and stop collecting them)."""
        with self._touched_lock:
            touched, self._touched = self._touched or set(), None
        return touched

    def _acknowledge_new(self, ctx: AccountContext) -> str:
        """Queue the acknowledgements new conversations need (sent with the due replies next);
        what the user must hear about it."""
        if not self.account.acknowledgement.enabled:
            return ""
        from supportinbox.app import acknowledge

        report = acknowledge.acknowledge_new(ctx, templates_dir=self.templates_dir())
        if report.problems:
            return _sentence(report.problems[0])
        if not report.queued:
            return ""
        names = ", ".join(one_line(q.customer, limit=60) for q in report.queued[:3])
        more = f" and {len(report.queued) - 3} more" if len(report.queued) > 3 else ""
        return f"Acknowledged automatically: {names}{more}."

    def _send_due(self, ctx: AccountContext) -> tuple[str, bool]:
        """Send replies whose undo window is over but were not sent (the app was closed, a crash),
        failed ones whose retry time has come, and scheduled ones whose time has come.

        Returns what the user must hear about them ("" when nothing was due), and whether a
        reply did not go out (held, failed, kept as a draft).
        """
        from supportinbox.app import outbox as outbox_use

        db = ctx.db
        try:
            report = outbox_use.send(ctx)
        except UserError as exc:
            return _sentence(f"Queued replies not sent: {exc.message}"), True
        from supportinbox.store import acknowledgements

        automatic = acknowledgements.outbox_ids(db.conn)
        before, later, scheduled, filed, kept, drafts_kept = 0, 0, 0, 0, [], []
        for outcome in report.outcomes:
            if outcome.outbox_id in automatic and not outcome.status.kept:
                continue  # said by the sync ("Acknowledged automatically: ..."), or dropped
            if outcome.filed_only:
                filed += outcome.status == SendStatus.SENT
            elif outcome.status.went_out:
                row = outbox_store.get(db.conn, outcome.outbox_id)
                created = parse_time(row.created_at) if row is not None else None
                if row is not None and row.send_at is not None:
                    scheduled += 1
                elif created is not None and created < self._started:
                    before += 1
                else:
                    later += 1
            elif outcome.status.kept:
                kept.append(one_line(outcome.message, limit=160))
            elif outcome.status == SendStatus.DRAFT:
                said = one_line(outcome.message, limit=160)
                drafts_kept.append(f"Reply #{outcome.outbox_id} not sent: {said}. It waits in the outbox.")
        parts = [*drafts_kept]
        if scheduled:
            parts.append(f"Sent {count_of(scheduled, 'scheduled reply', 'scheduled replies')}.")
        if before:
            parts.append(f"Sent {count_of(before, 'reply', 'replies')} queued before the app stopped.")
        if later:
            parts.append(f"Sent {count_of(later, 'queued reply', 'queued replies')}.")
        if filed:
            gone = count_of(filed, "reply", "replies")
            parts.append(f"Filed {gone} in Sent that had gone out before (not sent again).")
        if kept:
            parts.append(
                _sentence(f"{count_of(len(kept), 'queued reply', 'queued replies')} not sent: {kept[0]}")
            )
        return " ".join(parts), bool(kept or drafts_kept)

    def watch(
        self,
        *,
        changed: Callable[[Changes], object],
        offline: Callable[[str], object],
        online: Callable[[], object],
    ) -> None:
        """Watch the mailbox (push) until :meth:`stop_waiting`, reconnecting after any loss.

        The callbacks are called from this thread; see :mod:`supportinbox.sync.push`.
        """
        from supportinbox.sync.push import PushWatcher
        from supportinbox.team.statefolder import STATE_FOLDER

        watcher = PushWatcher(
            self.account_name,
            self.account,
            changed=changed,
            offline=offline,
            online=online,
            slow_retry=self.config.ui.sync_interval_seconds,
            keepalive=self.push_keepalive,
            extra_folders=(STATE_FOLDER,),
        )
        with self._push_lock:
            if self._push_stopped:
                return
            self._push = watcher
        watcher.run()

    def push_connected(self) -> bool:
        """True while the push connection is up."""
        push = self._push
        return push is not None and push.connected.is_set()

    def push_mode(self) -> str:
        """How the push connection learns of changes (e.g. "IDLE + NOTIFY"); "" before it is up."""
        push = self._push
        return push.mode if push is not None else ""

    def stop_waiting(self) -> None:
        """End :meth:`watch` in another thread (closing its connection)."""
        with self._push_lock:
            self._push_stopped = True
            push = self._push
        if push is not None:
            push.stop()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", ".)")) else text + "."
